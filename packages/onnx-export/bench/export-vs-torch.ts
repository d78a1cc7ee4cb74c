// Benchmark (not a test): ViT-B-32 export time and onnxruntime-node throughput of cliphub's graphs versus
// torch.onnx.export of the same model by the oracle, and versus PyTorch eager; every ratio comes from
// numbers measured in this one run. Usage: npm run bench -w @cliphub/onnx-export [-- --threads 2]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
// source import: the benchmark runs without a prior build
import { openSafetensors } from '../../safetensors/src/index.js';
import { exportOnnx, weightSourceFromSafetensors, type ExportOptions, type ModelCfg } from '../src/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const python = path.join(root, '.oracle/venv/bin/python');
const shared = path.resolve(root, '../shared');
const threads = Number(process.argv[process.argv.indexOf('--threads') + 1] ?? 2) || 2;
const weights = path.join(root, '.cache/onnx-export/ViT-B-32/open_clip_model.safetensors');
const cfg = (JSON.parse(readFileSync(path.join(shared, 'fixtures/openclip-3.3.0/full/ViT-B-32/open_clip_config.json'), 'utf8')) as { model_cfg: ModelCfg }).model_cfg;

function py(code: string, args: string[]): string {
  const r = spawnSync(python, ['-W', 'ignore', '-c', code, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim().split('\n').pop() ?? '';
}

// Same weights as the ViT-B-32 test: ../shared/oracle/make_full_checkpoint.py's make_weights.
const PY_WEIGHTS = `
import os, runpy, sys, open_clip
from safetensors.torch import save_file
sd = runpy.run_path(sys.argv[1])['make_weights'](open_clip.create_model('ViT-B-32').state_dict(), seed=0)
save_file({k: v.contiguous() for k, v in sd.items()}, sys.argv[2] + '.tmp'); os.replace(sys.argv[2] + '.tmp', sys.argv[2])
`;

// torch.onnx.export (legacy and dynamo) of the same model and PyTorch eager throughput.
const PY_TORCH = `
import json, sys, time, torch, open_clip
from safetensors.torch import load_file
out, threads = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(threads)
model = open_clip.create_model('ViT-B-32').eval()
model.load_state_dict(load_file(sys.argv[3]))
class V(torch.nn.Module):
    def __init__(s, m): super().__init__(); s.m = m
    def forward(s, x): return s.m.encode_image(x)
class T(torch.nn.Module):
    def __init__(s, m): super().__init__(); s.m = m
    def forward(s, x): return s.m.encode_text(x)
img, ids = torch.randn(1, 3, 224, 224), torch.zeros(1, 77, dtype=torch.long)
ids[0, :5] = torch.tensor([49406, 320, 1929, 539, 49407])
res = {}
for name, mod, x, inp in [('vision', V(model), img, 'pixel_values'), ('text', T(model), ids, 'input_ids')]:
    t = time.perf_counter()
    torch.onnx.export(mod, (x,), f'{out}/torch_{name}.onnx', input_names=[inp], output_names=['y'],
                      dynamic_axes={inp: {0: 'batch'}, 'y': {0: 'batch'}}, opset_version=17, dynamo=False)
    res[f'legacy_{name}_s'] = time.perf_counter() - t
for b in (1, 16):
    for name, mod, x in [('vision', V(model), img), ('text', T(model), ids)]:
        xb = x.repeat(b, *([1] * (x.dim() - 1)))
        best = 0
        with torch.no_grad():
            mod(xb)
            for _ in range(3):  # best of 3 rounds, as for onnxruntime below
                n, t = 0, time.perf_counter()
                while time.perf_counter() - t < 1.5: mod(xb); n += b
                best = max(best, n / (time.perf_counter() - t))
        res[f'eager_{name}_b{b}'] = best
print(json.dumps(res))
`;

async function exportTime(out: string, options: ExportOptions): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const f = await openSafetensors(weights);
    const t = performance.now();
    await exportOnnx(cfg, weightSourceFromSafetensors(f), out, options);
    best = Math.min(best, (performance.now() - t) / 1000);
    await f.close();
  }
  return best;
}

/** Items/s of several graphs on the same input, measured in alternating rounds (best round each), so
 * that load changes on a shared machine do not favour whichever graph runs first. */
async function throughputs(models: string[], tower: 'vision' | 'text', batch: number): Promise<number[]> {
  const sessions = await Promise.all(
    models.map((m) => ort.InferenceSession.create(m, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' })),
  );
  let input: ort.Tensor;
  if (tower === 'vision') {
    input = new ort.Tensor('float32', Float32Array.from({ length: batch * 3 * 224 * 224 }, (_, i) => Math.sin(i)), [batch, 3, 224, 224]);
  } else {
    const ids = new BigInt64Array(batch * 77);
    for (let b = 0; b < batch; b++) ids.set([49406n, 320n, 1929n, 539n, 49407n], b * 77);
    input = new ort.Tensor('int64', ids, [batch, 77]);
  }
  const best = models.map(() => 0);
  for (let round = 0; round < 3; round++) {
    for (const [i, s] of sessions.entries()) {
      const feeds = { [s.inputNames[0] as string]: input };
      await s.run(feeds);
      let n = 0;
      const t = performance.now();
      while (performance.now() - t < 1500) {
        await s.run(feeds);
        n += batch;
      }
      best[i] = Math.max(best[i] as number, n / ((performance.now() - t) / 1000));
    }
  }
  await Promise.all(sessions.map((s) => s.release()));
  return best;
}

async function main(): Promise<void> {
  if (!existsSync(python) || !existsSync(shared)) throw new Error('needs the oracle venv (.oracle/venv) and ../shared');
  if (!existsSync(weights)) {
    mkdirSync(path.dirname(weights), { recursive: true });
    py(PY_WEIGHTS, [path.join(shared, 'oracle/make_full_checkpoint.py'), weights]);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'cliphub-bench-'));
  try {
    const fp32 = path.join(dir, 'fp32');
    const int8 = path.join(dir, 'int8');
    const tExport = await exportTime(fp32, {});
    await exportTime(int8, { dtype: 'int8' });
    const torch = JSON.parse(py(PY_TORCH, [dir, String(threads), weights])) as Record<string, number>;
    const torchExport = (torch.legacy_vision_s ?? 0) + (torch.legacy_text_s ?? 0);
    console.log(`ViT-B-32, ${threads} threads (one run; ratios from this run only)`);
    console.log(`export both towers: cliphub ${tExport.toFixed(2)} s, torch.onnx.export (legacy) ${torchExport.toFixed(2)} s -> ${(tExport / torchExport).toFixed(3)}x the time`);
    for (const tower of ['vision', 'text'] as const) {
      for (const b of [1, 16]) {
        const [ours, theirs, q] = (await throughputs(
          [path.join(fp32, `${tower}.onnx`), path.join(dir, `torch_${tower}.onnx`), path.join(int8, `${tower}.onnx`)],
          tower,
          b,
        )) as [number, number, number];
        const eager = torch[`eager_${tower}_b${b}`] ?? NaN;
        const unit = tower === 'vision' ? 'images/s' : 'texts/s';
        console.log(
          `${tower} b${b}: cliphub fp32 ${ours.toFixed(1)} ${unit}, torch-exported ${theirs.toFixed(1)}, eager ${eager.toFixed(1)}, cliphub int8 ${q.toFixed(1)}` +
            ` | fp32 vs torch graph ${(ours / theirs).toFixed(2)}x, vs eager ${(ours / eager).toFixed(2)}x, int8 vs eager ${(q / eager).toFixed(2)}x`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
