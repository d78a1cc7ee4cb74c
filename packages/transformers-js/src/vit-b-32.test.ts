import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AutoProcessor,
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  RawImage,
  Tensor,
  env,
} from '@huggingface/transformers';
import { hasOracle, needsShared, sharedFixtures, tempDir } from '#test-support';
import { fullVitB32Weights, openClipImageEmbeddings } from '#test-support/vit-b-32.js';
import { convertToTransformersJs, TRANSFORMERS_JS_DTYPE, type LayoutDtype } from './index.js';
import { compareRows } from '@cliphub/core';
import { loadReference } from '#test-support/reference.js';

const fixture = sharedFixtures ? path.join(sharedFixtures, 'full', 'ViT-B-32') : '';
const photos = sharedFixtures
  ? ['astronaut.jpg', 'astronaut.png', 'chelsea.jpg', 'chelsea.png'].map((f) =>
      path.join(sharedFixtures as string, 'preprocess', f),
    )
  : [];
const MIN_COS: Record<LayoutDtype, number> = { fp32: 0.99999, fp16: 0.999, int8: 0.99 };

describe.skipIf(!hasOracle || !needsShared('transformers.js ViT-B-32'))('transformers.js on full-size ViT-B-32', () => {
  const tmp = tempDir('cliphub-tjs-b32-');
  let file = '';
  beforeAll(async () => {
    file = await fullVitB32Weights();
    env.allowRemoteModels = false;
    env.localModelPath = `${tmp.dir}/`;
    await convertToTransformersJs({
      input: file,
      model: 'ViT-B-32',
      outDir: path.join(tmp.dir, 'b32'),
      dtypes: ['fp32', 'fp16', 'int8'],
    });
  }, 900_000);
  afterAll(() => tmp.cleanup());

  for (const dtype of ['fp32', 'fp16', 'int8'] as const) {
    it(`${dtype}: *WithProjection reproduce open_clip's reference embeddings`, async () => {
      const ref = await loadReference(path.join(fixture, 'reference.safetensors'));
      const opts = { dtype: TRANSFORMERS_JS_DTYPE[dtype] };
      const text = await CLIPTextModelWithProjection.from_pretrained('b32', opts);
      const vision = await CLIPVisionModelWithProjection.from_pretrained('b32', opts);
      // the reference texts through transformers.js's tokenizer, padded to the longest: the dynamic-length graph
      const tokenizer = await AutoTokenizer.from_pretrained('b32');
      const t = (await text(tokenizer(ref.texts, { padding: true, truncation: true }))) as { text_embeds: Tensor };
      const v = (await vision({ pixel_values: new Tensor('float32', ref.pixels.data, ref.pixels.dims) })) as {
        image_embeds: Tensor;
      };
      for (const [got, want] of [
        [t.text_embeds.data as Float32Array, ref.text.data],
        [v.image_embeds.data as Float32Array, ref.image.data],
      ] as const) {
        const c = compareRows(got, want, 512);
        expect(c.minCos).toBeGreaterThanOrEqual(MIN_COS[dtype]);
        if (dtype === 'fp32') expect(c.maxAbs).toBeLessThanOrEqual(1e-4 * c.maxRef);
      }
      await Promise.all([text.dispose(), vision.dispose()]);
    }, 300_000);
  }

  it("AutoProcessor on real photos: the worst image-embedding cosine against open_clip's PIL path", async () => {
    // open_clip's own transform (PIL) on the photos, for the processor gap
    const want = await openClipImageEmbeddings(file, photos, tmp.dir);
    const processor = await AutoProcessor.from_pretrained('b32');
    const vision = await CLIPVisionModelWithProjection.from_pretrained('b32', { dtype: 'fp32' });
    const cosines: number[] = [];
    for (const [i, photo] of photos.entries()) {
      const { image_embeds } = (await vision(await processor(await RawImage.read(photo)))) as { image_embeds: Tensor };
      cosines.push(compareRows(image_embeds.data as Float32Array, Float32Array.from(want[i] as number[]), 512).minCos);
    }
    console.log(
      `transformers.js AutoProcessor vs open_clip (PIL) on ${photos.map((p) => path.basename(p)).join(', ')}: cos ${cosines.map((c) => c.toFixed(5)).join(', ')}`,
    );
    // transformers.js resizes with its own resampler (sharp in Node), so this is bounded by it, not by the layout
    expect(Math.min(...cosines)).toBeGreaterThanOrEqual(0.98);
    await vision.dispose();
  }, 300_000);
});
