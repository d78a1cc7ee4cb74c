// Benchmark (not a test): images/s and texts/s through @cliphub/runtime (onnxruntime-node, sharp preprocessing,
// TS tokenizer) versus PyTorch eager open_clip (PIL preprocessing, its tokenizer), end to end from files and raw
// strings, at batch 1 and 16, same thread count, measured in this one run.
// Usage (after `npm run build`): npm run bench -w @cliphub/runtime [-- --threads 2 --model tiny]
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportOnnx, weightSourceFromSafetensors } from '@cliphub/onnx-export';
import { openSafetensors } from '@cliphub/safetensors';
import {
  embedImages,
  embedTexts,
  loadModel,
  manifestFromExport,
  writeManifest,
  type ManifestModelCfg,
} from '../src/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const python = path.join(root, '.oracle/venv/bin/python');
const arg = (name: string): string | undefined =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const threads = Number(arg('--threads') ?? 2);
const shared = path.resolve(root, '../shared/fixtures/openclip-3.3.0');
const full = [
  path.join(root, '.cache/full-vit-b-32/open_clip_model.safetensors'),
  path.join(root, '.cache/onnx-export/ViT-B-32/open_clip_model.safetensors'),
].find(existsSync);
const useFull = arg('--model') !== 'tiny' && full !== undefined && existsSync(shared);
const modelDir = useFull
  ? path.join(shared, 'full/ViT-B-32')
  : path.join(root, '.cache/fixtures/models/tiny-vit-variants');
const weights = useFull ? (full as string) : path.join(modelDir, 'open_clip_model.safetensors');
const vocab = readdirSync(path.join(root, '.oracle/venv/lib'))
  .map((p) => path.join(root, '.oracle/venv/lib', p, 'site-packages/open_clip/bpe_simple_vocab_16e6.txt.gz'))
  .find(existsSync);

const tmp = mkdtempSync(path.join(tmpdir(), 'cliphub-bench-'));
const N_IMAGES = 32;
const N_TEXTS = 128;
const imgSrc = existsSync(shared)
  ? readdirSync(path.join(shared, 'preprocess'))
      .filter((f) => /\.(jpg|png)$/.test(f))
      .map((f) => path.join(shared, 'preprocess', f))
  : [];
if (imgSrc.length === 0) throw new Error('the benchmark reads ../shared/fixtures/openclip-3.3.0/preprocess images');
const images = Array.from({ length: N_IMAGES }, (_, i) => imgSrc[i % imgSrc.length]!);
const words = [
  'photo',
  'cat',
  'dog',
  'astronaut',
  'red',
  'bicycle',
  'on',
  'a',
  'beach',
  'painting',
  'of',
  'the',
  'city',
  'night',
];
const texts = Array.from({ length: N_TEXTS }, (_, i) =>
  Array.from({ length: 4 + (i % 12) }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(' '),
);

const PY = `
import json, sys, time, torch, open_clip
from PIL import Image
from safetensors.torch import load_file
a = json.load(open(sys.argv[1])); torch.set_num_threads(a['threads'])
model, preprocess = open_clip.create_model_from_pretrained('local-dir:' + a['dir']) if a['local'] else (None, None)
if model is None:
    model, _, preprocess = open_clip.create_model_and_transforms('ViT-B-32'); model.load_state_dict(load_file(a['weights']))
model.eval(); tok = open_clip.get_tokenizer('ViT-B-32') if not a['local'] else open_clip.get_tokenizer('local-dir:' + a['dir'])
res = {}
with torch.no_grad():
    model.encode_image(preprocess(Image.open(a['images'][0])).unsqueeze(0)); model.encode_text(tok(a['texts'][:1]))
    for b in (1, 16):
        t = time.perf_counter()
        for i in range(0, len(a['images']), b):
            model.encode_image(torch.stack([preprocess(Image.open(f)) for f in a['images'][i:i+b]]))
        res[f'images_b{b}'] = len(a['images']) / (time.perf_counter() - t)
        t = time.perf_counter()
        for i in range(0, len(a['texts']), b):
            model.encode_text(tok(a['texts'][i:i+b]))
        res[f'texts_b{b}'] = len(a['texts']) / (time.perf_counter() - t)
print(json.dumps(res))
`;

async function main(): Promise<void> {
  const config = JSON.parse(readFileSync(path.join(modelDir, 'open_clip_config.json'), 'utf8')) as {
    model_cfg: ManifestModelCfg;
    preprocess_cfg?: Record<string, unknown>;
  };
  const out = path.join(tmp, 'export');
  const file = await openSafetensors(weights);
  const result = await exportOnnx(config.model_cfg as never, weightSourceFromSafetensors(file), out, { opset: 17 });
  await file.close();
  await writeManifest(
    out,
    manifestFromExport({
      source: { path: weights, sha256: '0'.repeat(64) },
      modelCfg: config.model_cfg,
      preprocessCfg: config.preprocess_cfg,
      result,
      opset: 17,
      dtype: 'fp32',
      normalize: false,
    }),
  );
  if (vocab) copyFileSync(vocab, path.join(out, 'bpe_simple_vocab_16e6.txt.gz'));

  const model = await loadModel(out, { intraOpThreads: threads });
  const ours: Record<string, number> = {};
  await embedImages(model, images.slice(0, 1));
  await embedTexts(model, texts.slice(0, 1));
  for (const b of [1, 16]) {
    let t = performance.now();
    await embedImages(model, images, { batch: b });
    ours[`images_b${b}`] = images.length / ((performance.now() - t) / 1000);
    t = performance.now();
    await embedTexts(model, texts, { batch: b });
    ours[`texts_b${b}`] = texts.length / ((performance.now() - t) / 1000);
  }
  await model.dispose();

  const args = path.join(tmp, 'args.json');
  writeFileSync(args, JSON.stringify({ threads, dir: modelDir, local: !useFull, weights, images, texts }));
  const r = spawnSync(python, ['-W', 'ignore', '-c', PY, args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const torch = JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, number>;

  console.log(
    `${useFull ? 'ViT-B-32' : 'tiny-vit-variants'}, ${threads} threads, ${N_IMAGES} images (${imgSrc.length} files, decoded each time), ${N_TEXTS} texts`,
  );
  console.log('what            cliphub ONNX   PyTorch eager   ratio');
  for (const k of Object.keys(ours)) {
    console.log(
      `${k.padEnd(15)} ${ours[k]!.toFixed(1).padStart(10)}/s ${torch[k]!.toFixed(1).padStart(13)}/s ${(ours[k]! / torch[k]!).toFixed(2).padStart(6)}x`,
    );
  }
}

main()
  .catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => rmSync(tmp, { recursive: true, force: true }));
