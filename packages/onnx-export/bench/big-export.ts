// Benchmark (not a test): exporting full-size checkpoints over 4 GB, whose ONNX needs external data, with the
// peak RSS of the export alone. For each architecture: seeded random weights at the real shapes
// (synthetic_checkpoint.py, tensor by tensor), then bench/export-child.ts under /usr/bin/time -v, once
// opening the checkpoint only (the process's own footprint) and once exporting. With --check-big, the plain
// ONNX export is also checked by check_big_export.py: onnx.checker full_check, and Python onnxruntime versus
// real open_clip's embeddings (needs memory for one copy of the weights). Checkpoints and exports are
// deleted afterwards unless --keep-big; each needs its size twice in free disk.
// Options: --big ARCH[:f16],... (default PE-Core-bigG-14-448,EVA02-E-14:f16) --check-big --keep-big
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const python = path.join(root, '.oracle/venv/bin/python');
const cacheDir = path.join(root, 'bench-out/onnx-export'); // gitignored

const DEFAULT_BIG = 'PE-Core-bigG-14-448,EVA02-E-14:f16';

interface ChildRun {
  rssMiB: number;
  out: Record<string, unknown>;
}

/** Peak RSS (MiB) and the JSON line of bench/export-child.ts under /usr/bin/time -v. */
function childRss(args: string[]): ChildRun {
  const viteNode = path.join(root, 'node_modules/.bin/vite-node');
  const r = spawnSync('/usr/bin/time', ['-v', viteNode, path.join(here, 'export-child.ts'), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1];
  if (r.status !== 0 || !kb) throw new Error(`export child failed: ${r.stderr.slice(-2000)}`);
  return {
    rssMiB: Number(kb) / 1024,
    out: JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>,
  };
}

function python3(script: string, args: string[]): string {
  const r = spawnSync(python, ['-W', 'ignore', path.join(here, script), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr.slice(-2000)}`);
  return r.stdout.trim().split('\n').pop() ?? '';
}

function benchOne(arch: string, half: boolean, argv: string[]): void {
  const dir = path.join(cacheDir, `${arch}${half ? '-f16' : ''}`);
  const weights = path.join(dir, 'open_clip_model.safetensors');
  const cfgFile = path.join(dir, 'model_cfg.json');
  const out = path.join(dir, 'onnx');
  const gb = (n: number) => (n / 1e9).toFixed(2);
  try {
    if (!existsSync(weights)) {
      mkdirSync(dir, { recursive: true });
      console.log(`generating ${arch} synthetic ${half ? 'float16' : 'float32'} weights in ${dir} ...`);
      python3('synthetic_checkpoint.py', [arch, dir, ...(half ? ['--f16'] : [])]);
    }
    const base = childRss([cfgFile, weights, out, '--baseline']);
    for (const plain of [false, true]) {
      rmSync(out, { recursive: true, force: true });
      const run = childRss([cfgFile, weights, out, ...(plain ? ['--plain'] : [])]);
      console.log(
        `export ${arch} (checkpoint ${gb(statSync(weights).size)} GB ${half ? 'f16' : 'f32'}, fp32 ${plain ? 'plain ONNX' : 'fused'}, ` +
          `external data for ${String(run.out.external)}): ${Number(run.out.seconds).toFixed(1)} s, ${gb(Number(run.out.bytes))} GB written; ` +
          `peak RSS ${run.rssMiB.toFixed(0)} MiB (target <= 512 MB), same process without exporting ${base.rssMiB.toFixed(0)} MiB`,
      );
    }
    if (argv.includes('--check-big')) {
      console.log(`check ${arch}: ${python3('check_big_export.py', [arch, weights, out])}`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
    if (!argv.includes('--keep-big')) rmSync(dir, { recursive: true, force: true });
  }
}

export function benchBigExports(argv: string[]): void {
  const at = argv.indexOf('--big');
  const list = (at >= 0 ? argv[at + 1] : undefined) ?? DEFAULT_BIG;
  for (const item of list.split(',')) {
    const [arch, kind] = item.split(':') as [string, string | undefined];
    benchOne(arch, kind === 'f16', argv);
  }
}
