import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedFixtures, hasOracle, seededRandom } from '#test-support';
import { checkRange, type ByteSource } from './byte-source.js';
import { TorchReaderError } from './errors.js';
import { openCheckpointSource } from './open-checkpoint.js';

interface Target {
  file: string;
  cases: number;
  /** Byte ranges worth hitting more often: headers, pickles, the central directory. */
  hot: Array<[number, number]>;
}

function hotRanges(b: Uint8Array): Array<[number, number]> {
  const buf = Buffer.from(b);
  const ranges: Array<[number, number]> = [[0, Math.min(b.length, 512)]];
  const cd = buf.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  if (cd >= 0) ranges.push([cd, b.length]);
  const pkl = buf.indexOf('data.pkl');
  if (pkl >= 0) ranges.push([pkl, Math.min(b.length, pkl + 4096)]);
  return ranges;
}

const EXTREMES = [0x00, 0xff, 0x7f, 0x80];

interface Mutant {
  size: number;
  patches: Map<number, number>;
}

function mutate(base: Uint8Array, hot: Array<[number, number]>, r: () => number): Mutant {
  const kind = Math.floor(r() * 5);
  const patches = new Map<number, number>();
  if (kind === 0) return { size: Math.floor(r() * base.length), patches }; // truncation
  const pick = (): number => {
    if (r() < 0.7) {
      const [lo, hi] = hot[Math.floor(r() * hot.length)] as [number, number];
      return lo + Math.floor(r() * Math.max(1, hi - lo));
    }
    return Math.floor(r() * base.length);
  };
  const byte = (at: number): number => patches.get(at) ?? (base[at] as number);
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.min(base.length - 1, pick());
    if (kind === 1 || kind === 2)
      patches.set(at, byte(at) ^ (1 << Math.floor(r() * 8))); // bit flips
    else if (kind === 3)
      patches.set(at, EXTREMES[Math.floor(r() * EXTREMES.length)] as number); // boundary bytes
    else for (let j = 0; j < 4 && at + j < base.length; j++) patches.set(at + j, r() < 0.5 ? 0xff : 0x00); // saturated fields
  }
  return { size: base.length, patches };
}

/** A ByteSource over `base` with a few bytes patched, without copying multi-MB fixtures per case. */
function mutantSource(base: Uint8Array, m: Mutant, name: string): ByteSource {
  return {
    path: name,
    size: m.size,
    async read(offset, length, what = 'data') {
      checkRange(this, offset, length, what);
      const out = base.slice(offset, offset + length);
      for (const [at, v] of m.patches) if (at >= offset && at < offset + length) out[at - offset] = v;
      return out;
    },
    async close() {},
  };
}

describe.skipIf(!hasOracle)('fuzzing the readers', () => {
  const g = generatedFixtures;
  const targets: Target[] = [
    { file: path.join(g, 'torch-cases/zoo.zip.pt'), cases: 3500, hot: [] },
    { file: path.join(g, 'torch-cases/zoo.legacy.pt'), cases: 3500, hot: [] },
    { file: path.join(g, 'torch-reader/zip64.zip.pt'), cases: 1500, hot: [] },
    { file: path.join(g, 'torch-reader/proto4.legacy.pt'), cases: 1500, hot: [] },
    { file: path.join(g, 'models/tiny-vit-gelu/epoch_1.pt'), cases: 400, hot: [] },
    { file: path.join(g, 'models/tiny-vit-gelu/torchscript.pt'), cases: 300, hot: [] },
  ];

  it('10,000+ mutated checkpoints: only TorchReaderErrors, bounded memory', async () => {
    const r = seededRandom(20240611);
    const codes = new Map<string, number>();
    let ok = 0;
    let total = 0;
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    for (const t of targets) {
      const base = new Uint8Array(readFileSync(t.file));
      const hot = hotRanges(base);
      for (let i = 0; i < t.cases; i++) {
        const m = mutate(base, hot, r);
        total++;
        try {
          const ck = await openCheckpointSource(mutantSource(base, m, `${path.basename(t.file)}#${i}`));
          // small files: read every tensor; large ones: a few, so each case stays cheap
          const read = base.length < 1 << 20 ? ck.tensors : [...ck.tensors.slice(0, 4), ...ck.tensors.slice(-4)];
          for (const x of read) await x.read();
          await ck.close();
          ok++;
        } catch (e) {
          if (!(e instanceof TorchReaderError)) {
            throw new Error(`${path.basename(t.file)} case ${i}: ${e instanceof Error ? e.stack : String(e)}`);
          }
          if (e.message.includes('\n')) throw new Error(`case ${i}: multi-line error message: ${e.message}`);
          codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        }
        if ((total & 255) === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      }
    }
    expect(total).toBeGreaterThanOrEqual(10_000);
    // Both outcomes happen: the fuzzer reaches deep code and most corruptions are caught.
    expect(ok).toBeGreaterThan(100);
    expect([...codes.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(3000);
    expect(heapPeak - heapBefore).toBeLessThan(512 * 1024 * 1024);
    console.log(`fuzz: ${total} cases, ${ok} opened, errors ${JSON.stringify(Object.fromEntries(codes))}`);
  });
});
