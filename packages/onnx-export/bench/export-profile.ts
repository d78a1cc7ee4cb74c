// Export-time profile (not a test): exportOnnx of one cached bench checkpoint (bench/families.ts caches them
// under bench-out/onnx-export/families/ARCH), best of --runs. Run under `node --cpu-prof` to see where the time
// goes. Usage: vite-node bench/export-profile.ts -- ARCH [--tower vision] [--runs 3] [--out DIR (kept)]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSafetensors } from '@cliphub/safetensors';
import { exportOnnx, weightSourceFromSafetensors, type ModelCfg } from '../src/index.js';

const arg = (k: string, d: string): string => {
  const i = process.argv.indexOf(k);
  return i >= 0 ? (process.argv[i + 1] ?? d) : d;
};
const arch = process.argv
  .slice(2)
  .find((a) => !a.startsWith('-') && a !== arg('--tower', '') && a !== arg('--runs', ''));
if (!arch) throw new Error('usage: export-profile.ts ARCH [--tower vision|text] [--runs 3]');
const tower = arg('--tower', 'vision') === 'text' ? 'text' : 'vision';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cache = path.join(root, 'bench-out/onnx-export/families', arch);
const cfg = (JSON.parse(readFileSync(path.join(cache, 'open_clip_config.json'), 'utf8')) as { model_cfg: ModelCfg })
  .model_cfg;
const keep = arg('--out', '');
const out = keep || mkdtempSync(path.join(tmpdir(), 'cliphub-export-profile-'));
try {
  let best = Infinity;
  for (let i = 0; i < Number(arg('--runs', '3')); i++) {
    const file = await openSafetensors(path.join(cache, `${tower}.safetensors`));
    const t = performance.now();
    await exportOnnx(cfg, weightSourceFromSafetensors(file), out, { towers: [tower] });
    const s = (performance.now() - t) / 1000;
    best = Math.min(best, s);
    console.log(`run ${i + 1}: ${s.toFixed(3)} s`);
    await file.close();
  }
  console.log(`${arch} ${tower}: best ${best.toFixed(3)} s`);
} finally {
  if (!keep) rmSync(out, { recursive: true, force: true });
}
