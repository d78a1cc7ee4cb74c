#!/usr/bin/env node
// Benchmark (not a test): streams a large safetensors file through the reader and writer and compares
// with `cp`. Usage: npm run build -w @cliphub/safetensors && node packages/safetensors/bench/write-bench.mjs [GiB] [dir]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bytesSource, fileSources, openSafetensors, writeSafetensors } from '../dist/index.js';

const gib = Number(process.argv[2] ?? 4);
const dir = mkdtempSync(path.join(process.argv[3] ?? tmpdir(), 'st-bench-'));
const total = Math.round(gib * 2 ** 30);
const TENSOR = 256 * 2 ** 20; // 256 MiB tensors, like the biggest ViT-bigG matrices
const CHUNK = 8 * 2 ** 20;

// One shared block: the benchmark itself must not inflate the peak RSS it reports.
const block = new Uint8Array(CHUNK).map((_, i) => (i * 31) & 0xff);

function synthetic(name, bytes) {
  return {
    name,
    dtype: 'F32',
    shape: [bytes / 4],
    chunks: async function* () {
      for (let at = 0; at < bytes; at += CHUNK) yield block.subarray(0, Math.min(CHUNK, bytes - at));
    },
  };
}

const time = async (label, fn) => {
  const t0 = process.hrtime.bigint();
  await fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${label}: ${s.toFixed(2)} s, ${(total / 2 ** 30 / s).toFixed(2)} GiB/s`);
  return s;
};

try {
  const src = path.join(dir, 'src.safetensors');
  const tensors = [];
  for (let i = 0; i * TENSOR < total; i++)
    tensors.push(synthetic(`blocks.${i}.weight`, Math.min(TENSOR, total - i * TENSOR)));
  tensors.push(bytesSource('logit_scale', 'F32', [], new Uint8Array(4)));
  await time(`write ${gib} GiB from memory`, () => writeSafetensors(src, tensors));
  spawnSync('sync');
  const cpS = await time('cp + fsync of that file', async () => {
    // The writer fsyncs before its rename, so cp gets the same durability: `sync FILE` fsyncs just that file.
    const dst = path.join(dir, 'cp.safetensors');
    for (const [cmd, args] of [
      ['cp', [src, dst]],
      ['sync', [dst]],
    ]) {
      const r = spawnSync(cmd, args);
      if (r.status !== 0) throw new Error(String(r.stderr));
    }
  });
  rmSync(path.join(dir, 'cp.safetensors'));
  spawnSync('sync');
  const copyS = await time('read + re-write (openSafetensors -> writeSafetensors)', async () => {
    const st = await openSafetensors(src);
    await writeSafetensors(path.join(dir, 'copy.safetensors'), fileSources(st));
    await st.close();
  });
  rmSync(path.join(dir, 'copy.safetensors'));
  spawnSync('sync');
  await time('read + cast F32->F16 + write', async () => {
    const st = await openSafetensors(src);
    await writeSafetensors(path.join(dir, 'f16.safetensors'), fileSources(st), { castTo: 'F16' });
    await st.close();
  });
  console.log(
    `file size ${statSync(src).size} bytes; re-write / cp time ratio ${(copyS / cpS).toFixed(2)} (throughput ${(cpS / copyS).toFixed(2)}x cp)`,
  );
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
