#!/usr/bin/env node
// `npm run bench:tjs`: a benchmark, not a test. Tower throughput on ONE transformers.js layout (made by
// `cliphub convert --to transformers.js`, fp32) through transformers.js in Node (CLIP*WithProjection) and through
// cliphub's runtime (runVision/runText), the same graphs, same inputs, same thread count, batch 1 and 16.
// ViT-B-32 with the seeded weights the full-size tests make (.cache/full-vit-b-32), else the tiny fixture.
// Options: --threads N (default 2), --seconds S per measurement (default 5), --model tiny.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLIPTextModelWithProjection, CLIPVisionModelWithProjection, Tensor, env } from '@huggingface/transformers';
import { loadModel, runText, runVision } from '@cliphub/runtime';
import { convertToTransformersJs } from '@cliphub/transformers-js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const threads = Number(arg('--threads') ?? 2);
const seconds = Number(arg('--seconds') ?? 5);
const full = [
  path.join(root, '.cache/full-vit-b-32/open_clip_model.safetensors'),
  path.join(root, '.cache/onnx-export/ViT-B-32/open_clip_model.safetensors'),
].find(existsSync);
const useFull = arg('--model') !== 'tiny' && full !== undefined;
const input = useFull ? full : path.join(root, '.cache/fixtures/models/tiny-vit-quickgelu');
if (!existsSync(input)) {
  console.error(
    'bench:tjs needs the fixtures: run `node tools/oracle/ensure.mjs` (and the ViT-B-32 test once for full size)',
  );
  process.exit(2);
}

const tmp = mkdtempSync(path.join(tmpdir(), 'cliphub-bench-tjs-'));
try {
  const dir = path.join(tmp, 'model');
  await convertToTransformersJs({ input, outDir: dir, ...(useFull ? { model: 'ViT-B-32' } : {}), dtypes: ['fp32'] });
  const cliphub = await loadModel(dir, { intraOpThreads: threads });
  env.allowRemoteModels = false;
  env.localModelPath = `${tmp}/`;
  const opts = { dtype: 'fp32', session_options: { intraOpNumThreads: threads } };
  const tjsVision = await CLIPVisionModelWithProjection.from_pretrained('model', opts);
  const tjsText = await CLIPTextModelWithProjection.from_pretrained('model', opts);
  const size = cliphub.manifest.preprocessCfg.size;
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  const ctx = cliphub.manifest.tokenizer.contextLength;

  /** Calls per second of `fn` over about `seconds`, after one warm-up call. */
  async function rate(fn) {
    await fn();
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      await fn();
      n++;
    }
    return n / ((performance.now() - t0) / 1000);
  }

  const rows = [];
  for (const batch of [1, 16]) {
    const pixels = Float32Array.from({ length: batch * 3 * h * w }, (_, i) => Math.sin(i * 0.37));
    // typical captions: 12 tokens then padding, open_clip's full-context layout for both
    const ids = new BigInt64Array(batch * ctx);
    for (let r = 0; r < batch; r++) {
      ids[r * ctx] = 49406n;
      for (let k = 1; k < 12; k++) ids[r * ctx + k] = BigInt(320 + ((r * 31 + k * 7) % 4000));
      ids[r * ctx + 12] = 49407n;
    }
    const mask = new BigInt64Array(ids.length).fill(1n);
    const pixelTensor = new Tensor('float32', pixels, [batch, 3, h, w]);
    const idTensor = new Tensor('int64', ids, [batch, ctx]);
    const maskTensor = new Tensor('int64', mask, [batch, ctx]);
    const measure = async (tower, cliphubFn, tjsFn) => {
      // alternate the two so machine noise hits both alike
      const a1 = await rate(cliphubFn);
      const b1 = await rate(tjsFn);
      const a2 = await rate(cliphubFn);
      const b2 = await rate(tjsFn);
      const c = ((a1 + a2) / 2) * batch;
      const t = ((b1 + b2) / 2) * batch;
      rows.push({ tower, batch, cliphub: c, tjs: t, ratio: t / c });
    };
    await measure(
      'vision (images/s)',
      () => runVision(cliphub, pixels, batch),
      () => tjsVision({ pixel_values: pixelTensor }),
    );
    await measure(
      'text (texts/s)',
      () => runText(cliphub, ids, batch),
      () => tjsText({ input_ids: idTensor, attention_mask: maskTensor }),
    );
  }
  console.log(
    `model ${useFull ? 'ViT-B-32 (seeded weights)' : 'tiny-vit-quickgelu'}, fp32 layout, ${threads} threads, ~${seconds} s per run`,
  );
  console.log('tower              batch  cliphub runtime  transformers.js  ratio');
  for (const r of rows)
    console.log(
      `${r.tower.padEnd(18)} ${String(r.batch).padStart(5)}  ${r.cliphub.toFixed(1).padStart(15)}  ${r.tjs.toFixed(1).padStart(15)}  ${r.ratio.toFixed(2).padStart(5)}`,
    );
  await Promise.all([tjsVision.dispose(), tjsText.dispose()]);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
