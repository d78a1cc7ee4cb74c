// Child process of the benchmark (not a test): exports one checkpoint, so that /usr/bin/time -v in the
// parent measures the peak RSS of this export alone. Usage: vite-node bench/export-child.ts CFG WEIGHTS OUT
// [--baseline] [--plain] (--baseline opens the checkpoint and stops: the process's own footprint; --plain
// writes standard ONNX only, for onnx.checker).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
// source imports: the benchmark runs without a prior build
import { openSafetensors } from '@cliphub/safetensors';
import { exportOnnx, weightSourceFromSafetensors, type ModelCfg } from '../src/index.js';

const [cfgFile, weights, out] = process.argv.slice(2) as [string, string, string];
const cfg = JSON.parse(readFileSync(cfgFile, 'utf8')) as ModelCfg;
const file = await openSafetensors(weights);
try {
  if (process.argv.includes('--baseline')) {
    console.log(JSON.stringify({ tensors: file.header.tensors.size }));
  } else {
    const t = performance.now();
    const r = await exportOnnx(cfg, weightSourceFromSafetensors(file), out, {
      contribOps: !process.argv.includes('--plain'),
    });
    const seconds = (performance.now() - t) / 1000;
    const bytes = readdirSync(out).reduce((a, f) => a + statSync(path.join(out, f)).size, 0);
    console.log(
      JSON.stringify({ seconds, bytes, external: r.towers.filter((x) => x.externalData).map((x) => x.tower) }),
    );
  }
} finally {
  await file.close();
}
