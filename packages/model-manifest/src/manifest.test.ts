import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { refusalOf, tempDir, writeOversizeJson } from '#test-support';
import { MAX_CONFIG_FILE_BYTES } from '@cliphub/core';
import {
  manifestFromExport,
  readManifest,
  resolvePreprocessCfg,
  ManifestError,
  validateManifest,
  writeManifest,
  type CliphubManifest,
} from './index.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

const io = (name: string, dtype: string, shape: (number | string)[]) => ({ name, dtype, shape });
function sample(): CliphubManifest {
  return manifestFromExport({
    source: { path: '/m/open_clip_model.safetensors', sha256: 'a'.repeat(64) },
    modelCfg: { embed_dim: 16, vision_cfg: { image_size: 32 }, text_cfg: { context_length: 77, vocab_size: 49408 } },
    preprocessCfg: { interpolation: 'bilinear' },
    result: {
      towers: [
        {
          tower: 'vision',
          path: '/out/vision.onnx',
          inputs: [io('pixel_values', 'float32', ['batch', 3, 32, 32])],
          outputs: [io('image_embeds', 'float32', ['batch', 16])],
          activation: 'gelu',
        },
        {
          tower: 'text',
          path: '/out/text.onnx',
          inputs: [io('input_ids', 'int64', ['batch', 77])],
          outputs: [io('text_embeds', 'float32', ['batch', 16])],
          activation: 'gelu',
        },
      ],
      logitScale: Math.log(1 / 0.07),
      logitBias: null,
    },
    opset: 17,
    dtype: 'fp32',
    normalize: false,
  });
}

function dirWith(name: string, manifest: unknown, towers = ['vision.onnx', 'text.onnx']): string {
  const dir = path.join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  for (const t of towers) writeFileSync(path.join(dir, t), 'x');
  writeFileSync(path.join(dir, 'cliphub.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  return dir;
}

describe('cliphub.json', () => {
  it('manifestFromExport fills open_clip defaults and stores both logit scales', () => {
    const m = sample();
    expect(m.preprocessCfg).toEqual({
      size: 32,
      mean: [0.48145466, 0.4578275, 0.40821073],
      std: [0.26862954, 0.26130258, 0.27577711],
      interpolation: 'bilinear',
      resize_mode: 'shortest',
      fill_color: 0,
    });
    expect(m.tokenizer).toEqual({ kind: 'simple', contextLength: 77, vocabSize: 49408 });
    expect(m.logitScale).toBeCloseTo(1 / 0.07, 10);
    expect(m.towers.vision?.file).toBe('vision.onnx');
    expect(m.activation).toEqual({ vision: 'gelu', text: 'gelu' });
  });

  it('an hf tokenizer and a preprocess size override are recorded', () => {
    const pp = resolvePreprocessCfg(
      { embed_dim: 8, vision_cfg: { image_size: 224 }, text_cfg: {} },
      { size: [256, 192], resize_mode: 'squash', fill_color: 128 },
    );
    expect(pp.size).toEqual([256, 192]);
    expect(pp.fill_color).toBe(128);
  });

  it('a CoCa export says the generative decoder is not exported, and that its graphs normalize', async () => {
    const base = sample();
    const coca = manifestFromExport({
      source: base.source,
      modelCfg: { ...base.modelCfg, multimodal_cfg: { width: 512, layers: 12 } },
      result: {
        towers: [
          {
            tower: 'vision',
            path: '/out/vision.onnx',
            inputs: base.towers.vision!.inputs,
            outputs: base.towers.vision!.outputs,
            activation: 'gelu',
          },
        ],
        logitScale: 1,
        logitBias: null,
      },
      opset: 17,
      dtype: 'fp32',
      normalize: false,
    });
    expect(coca.normalize).toBe(true);
    expect(coca.notes?.join(' ')).toMatch(/generative text decoder .* is not exported/);
    expect(sample().notes).toBeUndefined();
    const dir = dirWith('coca', {}, ['vision.onnx']);
    await writeManifest(dir, coca);
    expect((await readManifest(dir)).notes).toEqual(coca.notes);
    expect(() => validateManifest({ ...coca, notes: [1] })).toThrow(/notes must be a list of strings/);
  });

  it('writeManifest then readManifest round-trips', async () => {
    const dir = dirWith('ok', {});
    await writeManifest(dir, sample());
    expect(await readManifest(dir)).toEqual(sample());
  });

  it('concurrent writeManifest calls in one process each land whole, leaving no temp file', async () => {
    // Temp files named by pid alone collided: one call truncated or renamed away the other's (ENOENT).
    const dir = dirWith('concurrent', {});
    const versions = Array.from({ length: 24 }, (_, i) => {
      const m = sample();
      return { ...m, modelCfg: { ...m.modelCfg, embed_dim: i + 1 } };
    });
    await Promise.all(versions.map((m) => writeManifest(dir, m)));
    const final = await readManifest(dir);
    expect(versions).toContainEqual(final);
    expect(readdirSync(dir).filter((f) => f.startsWith('cliphub.json'))).toEqual(['cliphub.json']);
  });

  it('a dir without cliphub.json is MANIFEST_MISSING naming the file, exit code 2', async () => {
    const dir = path.join(tmp.dir, 'empty');
    mkdirSync(dir);
    const e = await readManifest(dir).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ManifestError);
    expect(e).toMatchObject({ code: 'MANIFEST_MISSING', exitCode: 2, file: path.join(dir, 'cliphub.json') });
    expect((e as Error).message).toContain(`${path.join(dir, 'cliphub.json')} not found`);
  });

  it('an oversized cliphub.json is MANIFEST_INVALID and a FIFO MANIFEST_MISSING, each one exit-2 line', async () => {
    const huge = dirWith('huge', '');
    writeOversizeJson(path.join(huge, 'cliphub.json'), MAX_CONFIG_FILE_BYTES);
    expect(await refusalOf(() => readManifest(huge))).toMatchObject({
      code: 'MANIFEST_INVALID',
      exitCode: 2,
      message: expect.stringMatching(/cliphub\.json is over 8 MiB.*; re-create it with/),
    });
    const fifo = path.join(tmp.dir, 'fifo');
    mkdirSync(fifo);
    execFileSync('mkfifo', [path.join(fifo, 'cliphub.json')]);
    expect(await refusalOf(() => readManifest(fifo))).toMatchObject({
      code: 'MANIFEST_MISSING',
      exitCode: 2,
      message: expect.stringMatching(/cliphub\.json \(not a regular file\)/),
    });
  });

  it('broken JSON and a missing tower file are MANIFEST_INVALID', async () => {
    await expect(readManifest(dirWith('json', '{"format":'))).rejects.toMatchObject({
      code: 'MANIFEST_INVALID',
      message: expect.stringContaining('not valid JSON'),
    });
    await expect(readManifest(dirWith('notower', sample(), ['vision.onnx']))).rejects.toMatchObject({
      code: 'MANIFEST_INVALID',
      message: expect.stringContaining('text.onnx'),
    });
  });

  it.each([
    ['format', (m: Record<string, unknown>) => (m.format = 'other'), 'format'],
    ['version', (m: Record<string, unknown>) => (m.version = 2), 'version 2'],
    ['sha256', (m: Record<string, unknown>) => ((m.source as Record<string, unknown>).sha256 = 'xyz'), 'source.sha256'],
    [
      'size',
      (m: Record<string, unknown>) => ((m.preprocessCfg as Record<string, unknown>).size = 0),
      'preprocessCfg.size',
    ],
    [
      'std',
      (m: Record<string, unknown>) => ((m.preprocessCfg as Record<string, unknown>).std = [1, 0, 1]),
      'preprocessCfg.std',
    ],
    [
      'interp',
      (m: Record<string, unknown>) => ((m.preprocessCfg as Record<string, unknown>).interpolation = 'nearest'),
      'preprocessCfg.interpolation',
    ],
    [
      'hf name',
      (m: Record<string, unknown>) => ((m.tokenizer as Record<string, unknown>).kind = 'hf'),
      'tokenizer.name',
    ],
    [
      'ctx',
      (m: Record<string, unknown>) => ((m.tokenizer as Record<string, unknown>).contextLength = 1),
      'tokenizer.contextLength',
    ],
    [
      'escape',
      (m: Record<string, unknown>) => ((m.towers as Record<string, Record<string, unknown>>).text!.file = '../x.onnx'),
      'inside the model dir',
    ],
    [
      'shape',
      (m: Record<string, unknown>) =>
        ((m.towers as Record<string, Record<string, unknown>>).text!.inputs = [
          { name: 'a', dtype: 'int64', shape: [1.5] },
        ]),
      'towers.text.inputs[0].shape',
    ],
    ['no towers', (m: Record<string, unknown>) => (m.towers = {}), 'neither vision nor text'],
    ['scale', (m: Record<string, unknown>) => (m.logitScale = 100), 'not exp(logitScaleRaw)'],
    ['bias', (m: Record<string, unknown>) => (m.logitBias = 'x'), 'logitBias'],
  ])('rejects a bad %s with a message naming the field', (_what, mutate, fragment) => {
    const m = JSON.parse(JSON.stringify(sample())) as Record<string, unknown>;
    mutate(m);
    expect(() => validateManifest(m, 'x/cliphub.json')).toThrow(
      expect.objectContaining({ code: 'MANIFEST_INVALID', exitCode: 2, message: expect.stringContaining(fragment) }),
    );
  });

  it('writeManifest refuses to write an invalid manifest', async () => {
    const dir = dirWith('bad-write', {});
    await expect(writeManifest(dir, { ...sample(), dtype: 'fp64' as never })).rejects.toMatchObject({
      code: 'MANIFEST_INVALID',
    });
  });
});
