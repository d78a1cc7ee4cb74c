import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
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
import { hasOracle, needsShared, repoRoot, runPython, sharedFixtures, tempDir } from '#test-support';
import { convertToTransformersJs, TRANSFORMERS_JS_DTYPE, type LayoutDtype } from './index.js';
import { pythonJsonAsync } from './test-utils/python-async.js';
import { compareRows, loadReference } from './test-utils/reference.js';

const fixture = sharedFixtures ? path.join(sharedFixtures, 'full', 'ViT-B-32') : '';
const photos = sharedFixtures
  ? ['astronaut.jpg', 'astronaut.png', 'chelsea.jpg', 'chelsea.png'].map((f) =>
      path.join(sharedFixtures as string, 'preprocess', f),
    )
  : [];
// The runtime's and exporter's tests make the same seeded weights: reuse theirs rather than write 605 MB again.
const WEIGHTS = [
  path.join(repoRoot, '.cache/full-vit-b-32/open_clip_model.safetensors'),
  path.join(repoRoot, '.cache/onnx-export/ViT-B-32/open_clip_model.safetensors'),
];
const MIN_COS: Record<LayoutDtype, number> = { fp32: 0.99999, fp16: 0.999, int8: 0.99 };

const MAKE_WEIGHTS = `
import os, runpy, sys, open_clip
from safetensors.torch import save_file
script, out = sys.argv[1], sys.argv[2]
sd = runpy.run_path(script)['make_weights'](open_clip.create_model('ViT-B-32').state_dict(), seed=0)
# a temp name of this process's own: test files that run side by side may make the same weights at once
tmp = out + '.' + str(os.getpid()) + '.tmp'
save_file({k: v.contiguous() for k, v in sd.items()}, tmp)
os.replace(tmp, out)
`;

// open_clip's own transform (PIL) and encode_image on the photos, for the processor gap
const PHOTO_ORACLE = `
import json, sys, torch, open_clip
from PIL import Image
from safetensors.torch import load_file
a = json.load(open(sys.argv[1]))
model, _, preprocess = open_clip.create_model_and_transforms('ViT-B-32')
model.load_state_dict(load_file(a['weights'])); model.eval()
with torch.no_grad():
    x = torch.stack([preprocess(Image.open(p)) for p in a['photos']])
    print(json.dumps(model.encode_image(x).tolist()))
`;

function weights(): string {
  const hit = WEIGHTS.find((f) => existsSync(f));
  if (hit) return hit;
  const file = WEIGHTS[0] as string;
  mkdirSync(path.dirname(file), { recursive: true });
  runPython(MAKE_WEIGHTS, [path.resolve(sharedFixtures as string, '../../oracle/make_full_checkpoint.py'), file]);
  return file;
}

describe.skipIf(!hasOracle || !needsShared('transformers.js ViT-B-32'))('transformers.js on full-size ViT-B-32', () => {
  const tmp = tempDir('cliphub-tjs-b32-');
  let file = '';
  beforeAll(async () => {
    file = weights();
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
        [t.text_embeds.data as Float32Array, ref.text],
        [v.image_embeds.data as Float32Array, ref.image],
      ] as const) {
        const c = compareRows(got, want, 512);
        expect(c.minCos).toBeGreaterThanOrEqual(MIN_COS[dtype]);
        if (dtype === 'fp32') expect(c.maxAbs).toBeLessThanOrEqual(1e-4 * c.maxRef);
      }
      await Promise.all([text.dispose(), vision.dispose()]);
    }, 300_000);
  }

  it("AutoProcessor on real photos: the worst image-embedding cosine against open_clip's PIL path", async () => {
    const job = path.join(tmp.dir, 'photos.json');
    writeFileSync(job, JSON.stringify({ weights: file, photos }));
    const want = await pythonJsonAsync<number[][]>(['-c', PHOTO_ORACLE, job]);
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
