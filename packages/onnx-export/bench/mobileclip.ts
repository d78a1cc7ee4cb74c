// Benchmark (not a test): the full-size MobileCLIP2-S0 vision tower (timm fastvit_mci0, 256×256), cliphub's
// export versus torch.onnx.export of the same module (as trained, and after timm's reparameterize_model),
// both in onnxruntime-node, and versus PyTorch eager, at batch 1 and 16; plus export times. Every ratio
// comes from numbers measured in this one run. Uses the checkpoint build-fastvit.test.ts caches under
// .cache/onnx-export/MobileCLIP2-S0-train (run that test first).
// Usage: vite-node bench/mobileclip.ts [-- --threads 2] [-- --secs 8]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { throughputByTurns } from './throughput.js';
// source import: the benchmark runs without a prior build
import { openSafetensors } from '@cliphub/safetensors';
import { exportOnnx, weightSourceFromSafetensors, type ModelCfg } from '../src/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const python = path.join(root, '.oracle/venv/bin/python');
const arg = (k: string, d: string): string => {
  const i = process.argv.indexOf(k);
  return i >= 0 ? (process.argv[i + 1] ?? d) : d;
};
const threads = Number(arg('--threads', '2'));
const secs = Number(arg('--secs', '8'));
const dir = path.join(root, '.cache/onnx-export/MobileCLIP2-S0-train');
const SIZE = 256;

const PY_TORCH = `
import json, sys, time, torch, open_clip
from safetensors.torch import load_file
from timm.utils import reparameterize_model
ckpt, out, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.set_num_threads(threads)
model = open_clip.create_model('MobileCLIP2-S0').eval()
sd = load_file(ckpt)
model.visual.load_state_dict({k[len('visual.'):]: v for k, v in sd.items() if k.startswith('visual.')})
class V(torch.nn.Module):
    def __init__(s, m): super().__init__(); s.m = m
    def forward(s, x): return s.m(x)
res = {}
x = torch.randn(1, 3, ${SIZE}, ${SIZE})
for name, vis in [('train', model.visual), ('reparam', reparameterize_model(model.visual))]:
    t = time.perf_counter()
    torch.onnx.export(V(vis), (x,), f'{out}/torch_{name}.onnx', input_names=['pixel_values'], output_names=['y'],
                      dynamic_axes={'pixel_values': {0: 'batch'}, 'y': {0: 'batch'}}, opset_version=17, dynamo=False)
    res[f'export_{name}_s'] = time.perf_counter() - t
    for b in ((1, 16) if name == 'reparam' else ()):  # eager: the faster, reparameterised module
        xb = x.repeat(b, 1, 1, 1)
        fastest, t0, runs = float('inf'), time.perf_counter(), 0
        with torch.no_grad():
            vis(xb)
            while runs < 2 or time.perf_counter() - t0 < ${secs}:
                t = time.perf_counter(); vis(xb); fastest = min(fastest, time.perf_counter() - t); runs += 1
        res[f'eager_{name}_b{b}'] = b / fastest
print(json.dumps(res))
`;

/** Items/s of several graphs, taking turns in blocks of back-to-back runs, each scored by its fastest run. */
async function throughputs(models: string[], batch: number): Promise<number[]> {
  const opts = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' as const };
  const sessions = await Promise.all(models.map((m) => ort.InferenceSession.create(m, opts)));
  const data = Float32Array.from({ length: batch * 3 * SIZE * SIZE }, (_, i) => Math.sin(i));
  const input = new ort.Tensor('float32', data, [batch, 3, SIZE, SIZE]);
  const feeds = sessions.map(() => ({ pixel_values: input }));
  return throughputByTurns(sessions, feeds, batch, secs * 1000 * (batch > 1 ? 2 : 1), 2);
}

async function main(): Promise<void> {
  const ckpt = path.join(dir, 'open_clip_model.safetensors');
  if (!existsSync(python) || !existsSync(ckpt))
    throw new Error('needs the oracle venv and the checkpoint build-fastvit.test.ts caches (run that test first)');
  const cfg = (JSON.parse(readFileSync(path.join(dir, 'open_clip_config.json'), 'utf8')) as { model_cfg: ModelCfg })
    .model_cfg;
  const out = mkdtempSync(path.join(tmpdir(), 'cliphub-bench-mobileclip-'));
  try {
    let exportS = Infinity;
    for (let i = 0; i < 2; i++) {
      const f = await openSafetensors(ckpt);
      const t = performance.now();
      await exportOnnx(cfg, weightSourceFromSafetensors(f), out, { towers: ['vision'] });
      exportS = Math.min(exportS, (performance.now() - t) / 1000);
      await f.close();
    }
    const r = spawnSync(python, ['-W', 'ignore', '-c', PY_TORCH, ckpt, out, String(threads)], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    if (r.status !== 0) throw new Error(r.stderr);
    const torch = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
    const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    console.log(
      `MobileCLIP2-S0 vision export: cliphub ${exportS.toFixed(2)} s; torch.onnx.export ${torch.export_train_s?.toFixed(2)} s as trained, ` +
        `${torch.export_reparam_s?.toFixed(2)} s reparameterised (cliphub/torch ${x(exportS, torch.export_reparam_s as number)})`,
    );
    for (const b of [1, 16]) {
      const graphs = ['vision.onnx', 'torch_train.onnx', 'torch_reparam.onnx'].map((f) => path.join(out, f));
      const [ours, tTrain, tRep] = (await throughputs(graphs, b)) as [number, number, number];
      const eager = torch[`eager_reparam_b${b}`] as number;
      console.log(
        `batch ${b}: cliphub ${ours.toFixed(1)} img/s; torch.onnx.export ${tTrain.toFixed(1)} (as trained), ${tRep.toFixed(1)} (reparameterised); ` +
          `eager (reparameterised) ${eager.toFixed(1)}; cliphub vs torch.onnx.export ${x(ours, Math.max(tTrain, tRep))}, vs eager ${x(ours, eager)}`,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

await main();
