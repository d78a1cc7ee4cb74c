import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PreprocessError } from '@cliphub/preprocess';
import { findBpeVocab } from '@cliphub/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasOracle, tempDir } from '#test-support';
import {
  embedImages,
  embedTexts,
  loadModel,
  ortBinaryDir,
  RuntimeError,
  runText,
  runVision,
  zeroShot,
  type ClipModel,
} from './index.js';
import { bpeVocab, exportModelDir, tinyModels } from '#test-support/model-export.js';
import { writeTestImages } from '#test-support/test-images.js';

// Bad input to the library: typed errors naming the culprit, and keepGoing that still embeds the rest.
describe.skipIf(!hasOracle)('loadModel and the tower runners on bad input', () => {
  const tmp = tempDir();
  const gelu = path.join(tmp.dir, 'gelu');
  const siglip = path.join(tmp.dir, 'siglip');
  let images: string[] = [];
  let model: ClipModel;

  beforeAll(async () => {
    images = await writeTestImages(tmp.dir);
    await exportModelDir(tinyModels('tiny-vit-gelu'), gelu, { withVocab: false });
    await exportModelDir(tinyModels('tiny-siglip-like'), siglip);
    model = await loadModel(gelu, { vocabPath: bpeVocab()! });
  });
  afterAll(async () => {
    await model.dispose();
    tmp.cleanup();
  });

  it('a wrong-size pixel tensor is BAD_TENSOR stating the expected shape', async () => {
    await expect(runVision(model, new Float32Array(3 * 32 * 31), 1)).rejects.toThrow(
      expect.objectContaining({
        code: 'BAD_TENSOR',
        exitCode: 2,
        message: expect.stringContaining('[1, 3, 32, 32] = 3072'),
      }),
    );
    await expect(runVision(model, new Float32Array(3 * 32 * 32), 2)).rejects.toMatchObject({ code: 'BAD_TENSOR' });
    await expect(runVision(model, new Float64Array(3072) as unknown as Float32Array, 1)).rejects.toMatchObject({
      message: expect.stringContaining('Float64Array'),
    });
    await expect(runVision(model, new Float32Array(0), 0)).rejects.toMatchObject({ code: 'BAD_TENSOR' });
  });

  it('wrong-size ids and ids outside the vocab are typed errors; right-size ids run', async () => {
    await expect(runText(model, new BigInt64Array(76), 1)).rejects.toMatchObject({
      code: 'BAD_TENSOR',
      message: expect.stringContaining('int64 [1, 77]'),
    });
    const ids = new BigInt64Array(77);
    ids[0] = 49406n;
    ids[1] = 49408n;
    await expect(runText(model, ids, 1)).rejects.toMatchObject({
      code: 'TOKEN_OUT_OF_RANGE',
      message: expect.stringContaining('token 49408'),
    });
    ids[1] = 49407n;
    expect((await runText(model, ids, 1)).length).toBe(16);
  });

  it('a CLIP tokenizer on a model with a 1000-token vocab is TOKEN_OUT_OF_RANGE, not an onnxruntime crash', async () => {
    const m = await loadModel(siglip);
    try {
      await expect(embedTexts(m, ['a cat'])).rejects.toMatchObject({
        code: 'TOKEN_OUT_OF_RANGE',
        message: expect.stringContaining('vocab of 1000'),
      });
      expect((await embedImages(m, images.slice(0, 1))).dim).toBe(32);
    } finally {
      await m.dispose();
    }
  });

  it('a corrupt image throws PreprocessError naming it; keepGoing skips it and embeds the rest in order', async () => {
    const bad = path.join(tmp.dir, 'corrupt.jpg');
    writeFileSync(bad, Buffer.from('not really a jpeg'));
    const inputs = [images[0]!, bad, images[1]!, path.join(tmp.dir, 'missing.png')];
    const e = await embedImages(model, inputs).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PreprocessError);
    expect((e as Error).message).toContain('corrupt.jpg');
    const r = await embedImages(model, inputs, { keepGoing: true, batch: 3 });
    expect(r.indices).toEqual([0, 2]);
    expect(r.skipped.map((s) => [s.index, s.input])).toEqual([
      [1, bad],
      [3, path.join(tmp.dir, 'missing.png')],
    ]);
    const clean = await embedImages(model, [images[0]!, images[1]!]);
    expect(Array.from(r.data)).toEqual(Array.from(clean.data));
  });

  it('a vision-only load skips the tokenizer; asking for text then is TOWER_MISSING', async () => {
    const m = await loadModel(gelu, { towers: ['vision'] });
    try {
      expect(m.tokenizer).toBeUndefined();
      await expect(embedTexts(m, ['x'])).rejects.toMatchObject({ code: 'TOWER_MISSING' });
    } finally {
      await m.dispose();
    }
  });

  it('a manifest tower the dir lacks, and a bad batch, are bad input', async () => {
    const visionOnly = path.join(tmp.dir, 'vision-only');
    await exportModelDir(tinyModels('tiny-vit-gelu'), visionOnly, { towers: ['vision'] });
    await expect(loadModel(visionOnly, { towers: ['text'] })).rejects.toMatchObject({
      code: 'TOWER_MISSING',
      message: expect.stringContaining('--towers text'),
    });
    await expect(embedImages(model, images, { batch: 0 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('a CLIP model dir without the BPE vocab uses the bundled one offline; a named vocab repo is fetched instead', async () => {
    const saved = { CLIPHUB_OFFLINE: process.env.CLIPHUB_OFFLINE, HF_HUB_CACHE: process.env.HF_HUB_CACHE };
    process.env.CLIPHUB_OFFLINE = '1';
    process.env.HF_HUB_CACHE = path.join(tmp.dir, 'empty-hub-cache-bundled');
    try {
      const m = await loadModel(gelu, { towers: ['text'] });
      const viaBundled = await embedTexts(m, ['a photo of a cat']);
      await m.dispose();
      const reference = await embedTexts(model, ['a photo of a cat']);
      expect(Array.from(viaBundled.data)).toEqual(Array.from(reference.data));
      await expect(
        loadModel(gelu, { towers: ['text'], vocabFetch: { repo: 'acme/clip-merges' } }),
      ).rejects.toMatchObject({ code: 'VOCAB_NOT_FOUND', message: expect.stringContaining('acme/clip-merges') });
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });

  // Only meaningful where no open_clip is installed system-wide (the oracle venv is not on the default search path).
  it.skipIf(findBpeVocab(undefined, { bundled: false }) !== null)(
    'a CLIP model dir without the BPE vocab (bundled copy turned off) fails saying how to provide it',
    async () => {
      const saved = {
        VIRTUAL_ENV: process.env.VIRTUAL_ENV,
        CONDA_PREFIX: process.env.CONDA_PREFIX,
        PYTHONPATH: process.env.PYTHONPATH,
        CLIPHUB_OFFLINE: process.env.CLIPHUB_OFFLINE,
        HF_HUB_CACHE: process.env.HF_HUB_CACHE,
      };
      for (const k of Object.keys(saved)) delete process.env[k];
      // else the default fetcher would reach huggingface.co or a user's cache (fetch-vocab.test.ts covers it)
      process.env.CLIPHUB_OFFLINE = '1';
      process.env.HF_HUB_CACHE = path.join(tmp.dir, 'empty-hub-cache');
      try {
        await expect(loadModel(gelu, { bundledVocab: false })).rejects.toMatchObject({
          code: 'VOCAB_NOT_FOUND',
          exitCode: 2,
          message: expect.stringContaining('pass its path'),
        });
        const m = await loadModel(gelu, {
          towers: ['text'],
          bundledVocab: false,
          fetchVocab: async () => readFileSync(bpeVocab()!),
        });
        expect((await embedTexts(m, ['a fetched vocab'])).count).toBe(1);
        await m.dispose();
      } finally {
        for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
        for (const k of ['CLIPHUB_OFFLINE', 'HF_HUB_CACHE'] as const) if (saved[k] === undefined) delete process.env[k];
      }
    },
  );

  it.skipIf(existsSync(path.join(ortBinaryDir(), 'libonnxruntime_providers_cuda.so')))(
    'cuda without its libraries fails before any session starts',
    async () => {
      await expect(loadModel(gelu, { executionProvider: 'cuda' })).rejects.toMatchObject({
        code: 'CUDA_UNAVAILABLE',
        message: expect.stringContaining(
          'ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js',
        ),
      });
    },
  );

  it('zeroShot with a logit_bias uses independent sigmoids of scale·cos + bias', async () => {
    const biased = path.join(tmp.dir, 'biased');
    await exportModelDir(tinyModels('tiny-vit-gelu'), biased);
    const mf = JSON.parse(readFileSync(path.join(biased, 'cliphub.json'), 'utf8')) as { logitBias: number | null };
    mf.logitBias = -1.5;
    writeFileSync(path.join(biased, 'cliphub.json'), JSON.stringify(mf));
    const m = await loadModel(biased);
    try {
      const labels = ['red', 'green', 'blue'];
      const z = await zeroShot(m, images[2]!, labels, { templates: ['a {} thing', 'the {}'] });
      expect(z.activation).toBe('sigmoid');
      const img = await embedImages(m, [images[2]!], { normalize: true });
      const txt = await embedTexts(
        m,
        labels.flatMap((l) => [`a ${l} thing`, `the ${l}`]),
        { normalize: true },
      );
      const d = img.dim;
      labels.forEach((_, c) => {
        const cls = Array.from({ length: d }, (_, j) => txt.data[2 * c * d + j]! + txt.data[(2 * c + 1) * d + j]!);
        const norm = Math.hypot(...cls);
        const cos = cls.reduce((s, v, j) => s + (v / norm) * img.data[j]!, 0);
        const want = 1 / (1 + Math.exp(-(m.manifest.logitScale * cos - 1.5)));
        expect(z.probs[c]).toBeCloseTo(want, 5);
      });
      await expect(zeroShot(m, images[2]!, labels, { templates: ['no slot'] })).rejects.toMatchObject({
        code: 'BAD_INPUT',
      });
      await expect(zeroShot(m, images[2]!, [])).rejects.toBeInstanceOf(RuntimeError);
    } finally {
      await m.dispose();
    }
  });
});
