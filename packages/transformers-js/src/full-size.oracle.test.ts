import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  SiglipTextModel,
  SiglipVisionModel,
  Tensor,
  env,
} from '@huggingface/transformers';
import { hasOracle, pythonScriptJsonAsync, tempDir } from '#test-support';
import { fullSizeModel } from '#test-support/full-size-model.js';
import { convertToTransformersJs, TRANSFORMERS_JS_DTYPE, type LayoutDtype } from './index.js';
import { compareRows } from '@cliphub/core';
import { loadReference } from '#test-support/reference.js';

const MIN_COS: Record<LayoutDtype, number> = { fp32: 0.99999, fp16: 0.999, int8: 0.99 };
const DTYPES = ['fp32', 'fp16', 'int8'] as const;
// short texts: none fills SigLIP's 64-token context, where transformers.js's truncation differs from open_clip's
const TEXTS = ['a photo of the dog', 'an astronaut riding a horse on the moon', 'x'];

// Full-size open_clip models (seeded perturbed weights): RN50 (ModifiedResNet, CLIP BPE) and ViT-B-16-SigLIP
// (timm MAP-head trunk, the tiny T5-like Unigram tokenizer from make_hf_tokenizers.py, ids far below 32000).
const CASES = [
  { arch: 'RN50', name: 'rn50', siglip: false },
  { arch: 'ViT-B-16-SigLIP', name: 'siglip-b16', siglip: true },
] as const;

describe.skipIf(!hasOracle)('transformers.js on full-size RN50 and ViT-B-16-SigLIP (Node, offline)', () => {
  const tmp = tempDir('cliphub-tjs-full-');
  const tokenizerDir = path.join(tmp.dir, 'tokenizers', 'unigram-t5');
  const fixtures = new Map<string, string>();
  beforeAll(async () => {
    env.allowRemoteModels = false;
    env.localModelPath = `${tmp.dir}/`;
    await pythonScriptJsonAsync<null>(path.join(import.meta.dirname, 'test-utils', 'make_hf_tokenizers.py'), [
      path.join(tmp.dir, 'tokenizers'),
    ]);
    for (const c of CASES) {
      const dir = await fullSizeModel(c.arch, TEXTS, c.siglip ? { hfTokenizer: tokenizerDir } : {});
      fixtures.set(c.name, dir);
      await convertToTransformersJs({
        input: dir,
        outDir: path.join(tmp.dir, c.name),
        dtypes: [...DTYPES],
        ...(c.siglip ? { hfTokenizer: tokenizerDir } : {}),
      });
    }
  }, 900_000);
  afterAll(() => tmp.cleanup());

  for (const c of CASES) {
    for (const dtype of DTYPES) {
      it(`${c.arch} ${dtype}: the towers reproduce open_clip's reference embeddings`, async () => {
        const ref = await loadReference(path.join(fixtures.get(c.name) as string, 'reference.safetensors'));
        const opts = { dtype: TRANSFORMERS_JS_DTYPE[dtype] };
        const [Text, Vision] = c.siglip
          ? [SiglipTextModel, SiglipVisionModel]
          : [CLIPTextModelWithProjection, CLIPVisionModelWithProjection];
        const text = await Text.from_pretrained(c.name, opts);
        const vision = await Vision.from_pretrained(c.name, opts);
        const tokenizer = await AutoTokenizer.from_pretrained(c.name);
        // SigLIP's text graph takes exactly its context length; CLIP's is dynamic, so pad to the longest
        const inputs = tokenizer(ref.texts, { padding: c.siglip ? 'max_length' : true, truncation: true });
        const ids = (inputs.input_ids as Tensor).tolist() as bigint[][];
        // the same ids as open_clip's tokenizer: SigLIP's whole rows, CLIP's up to its end token (pads differ)
        const context = ref.ids.dims[1] as number;
        for (const [i, row] of ids.entries()) {
          const want = Array.from(ref.ids.data.subarray(i * context, (i + 1) * context), Number);
          const used = c.siglip ? context : want.indexOf(49407) + 1;
          expect(row.slice(0, used).map(Number)).toEqual(want.slice(0, used));
          // the tiny tokenizer's ids stay inside the model's 32000-row embedding table
          if (c.siglip) expect(Math.max(...want)).toBeLessThan(32000);
        }
        const { text_embeds } = (await text(inputs)) as { text_embeds: Tensor };
        const { image_embeds } = (await vision({
          pixel_values: new Tensor('float32', ref.pixels.data, ref.pixels.dims),
        })) as { image_embeds: Tensor };
        const d = ref.image.dims[1] as number;
        for (const [tower, got, want] of [
          ['text', text_embeds.data as Float32Array, ref.text.data],
          ['image', image_embeds.data as Float32Array, ref.image.data],
        ] as const) {
          const r = compareRows(got, want, d);
          console.log(
            `${c.arch} ${dtype} ${tower}: min cos ${r.minCos.toFixed(6)}, max|Δ|/max|ref| ${(r.maxAbs / r.maxRef).toExponential(2)}`,
          );
          expect(r.minCos).toBeGreaterThanOrEqual(MIN_COS[dtype]);
          if (dtype === 'fp32') expect(r.maxAbs).toBeLessThanOrEqual(1e-4 * r.maxRef);
        }
        await Promise.all([text.dispose(), vision.dispose()]);
      }, 300_000);
    }
  }
});
