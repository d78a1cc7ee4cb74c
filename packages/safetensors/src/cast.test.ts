import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasOracle, runPython, tempDir } from '#test-support';
import { castFloats, f32BitsToBf16, f32BitsToF16 } from './cast.js';
import { SafetensorsError, bytesSource, openSafetensors, writeSafetensors, type FloatDType } from './index.js';

const FLOATS: FloatDType[] = ['F64', 'F32', 'F16', 'BF16'];

/** xorshift32: reproducible random bit patterns. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** Inputs per dtype: random patterns plus the hard cases (ties, subnormals, overflow, inf, NaN, signed zero). */
function inputs(): Record<FloatDType, Uint8Array> {
  const r = rng(12345);
  const f32: number[] = [
    0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffc00001, 0x7f7fffff, 0x00000001, 0x807fffff,
  ];
  // Around the largest half (65504) and the overflow threshold (65520).
  for (let b = 0x477fe000 - 4; b <= 0x47800000 + 4; b += 0x400) f32.push(b, b | 0x80000000);
  f32.push(0x477fefff, 0x477ff000, 0x477ff001, 0x7f7fffff - 0x8000, 0x7f7f8000, 0x7f7f7fff);
  // Half subnormal range edges: 2^-25 (tie to zero), just above, 2^-24, 2^-14.
  f32.push(0x33000000, 0x33000001, 0x32ffffff, 0x33800000, 0x38800000, 0x387fffff, 0x387fe000, 0x387ff000);
  for (let i = 0; i < 20000; i++) f32.push(r()); // uniform bits: every exponent, NaN payloads included
  for (let i = 0; i < 4000; i++) {
    const hi = r() & 0xffffe000;
    f32.push((hi | 0x1000) >>> 0); // exact f16 ties
    const bhi = r() & 0xffff0000;
    f32.push((bhi | 0x8000) >>> 0); // exact bf16 ties
    // Half-subnormal ties: (q + 0.5) * 2^-24.
    f32.push(new Uint32Array(new Float32Array([((r() & 0x3ff) + 0.5) * 2 ** -24]).buffer)[0]!);
    // Near the f16 normal/subnormal boundary and the overflow boundary.
    f32.push((0x38000000 + (r() & 0x01ffffff)) >>> 0, (0x47000000 + (r() & 0x00ffffff)) >>> 0);
  }
  const u16 = new Uint16Array(65536).map((_, i) => i); // every half / every bfloat16
  const f64w: number[] = [
    0, 0, 0, 0x80000000, 0, 0x7ff00000, 0, 0xfff00000, 1, 0x7ff00000, 0, 0x7ff80000, 0xffffffff, 0x7fefffff,
  ];
  for (let i = 0; i < 8000; i++) f64w.push(r(), r());
  for (let i = 0; i < 4000; i++) {
    // f32 ties (bit 28 of the low word set, below zero), f32-subnormal range, and plain finite values.
    f64w.push(0x10000000, (r() & 0x800fffff) | (((r() % 300) + 874) << 20));
    f64w.push(r(), (r() & 0x800fffff) | (((r() % 40) + 852) << 20));
    f64w.push(r() & 0xf0000000, (r() & 0x800fffff) | (((r() % 60) + 1000) << 20));
  }
  return {
    F32: new Uint8Array(new Uint32Array(f32).buffer),
    F16: new Uint8Array(u16.buffer),
    BF16: new Uint8Array(u16.slice().buffer),
    F64: new Uint8Array(new Uint32Array(f64w).buffer),
  };
}

function isNaNAt(bytes: Uint8Array, dtype: FloatDType, i: number): boolean {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (dtype === 'F64') return Number.isNaN(v.getFloat64(i * 8, true));
  if (dtype === 'F32') return Number.isNaN(v.getFloat32(i * 4, true));
  const h = v.getUint16(i * 2, true);
  return dtype === 'F16' ? (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0 : (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
}

const SIZE: Record<FloatDType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };

describe('castFloats', () => {
  it('rounds to nearest even at the known hard points', () => {
    expect(f32BitsToF16(0x3f800000)).toBe(0x3c00); // 1
    expect(f32BitsToF16(0x3f801000)).toBe(0x3c00); // 1 + 2^-11: tie, to even
    expect(f32BitsToF16(0x3f803000)).toBe(0x3c02); // 1 + 3*2^-11: tie, to even (up)
    expect(f32BitsToF16(0x477fe000)).toBe(0x7bff); // 65504
    expect(f32BitsToF16(0x477fefff)).toBe(0x7bff);
    expect(f32BitsToF16(0x477ff000)).toBe(0x7c00); // 65520 ties to even = inf
    expect(f32BitsToF16(0x33000000)).toBe(0); // 2^-25 tie to zero
    expect(f32BitsToF16(0x33000001)).toBe(1);
    expect(f32BitsToF16(0xb3c00000)).toBe(0x8002); // -1.5 * 2^-24 tie up to even 2
    expect(f32BitsToF16(0x7f800000)).toBe(0x7c00);
    expect(f32BitsToF16(0xffa00000)).toBe(0xff00); // signalling NaN: quieted, sign and payload kept
    expect(f32BitsToBf16(0x3f808000)).toBe(0x3f80); // tie to even
    expect(f32BitsToBf16(0x3f818000)).toBe(0x3f82);
    expect(f32BitsToBf16(0x7f7fffff)).toBe(0x7f80); // past the largest bfloat16: inf
    expect(f32BitsToBf16(0xff800001)).toBe(0xffc0);
  });

  it('handles unaligned input views and refuses non-float dtypes and partial elements', () => {
    const raw = new Uint8Array(9);
    raw.set(new Uint8Array(new Float32Array([1.5, -2]).buffer), 1);
    expect(castFloats(raw.subarray(1), 'F32', 'F16')).toEqual(new Uint8Array(new Uint16Array([0x3e00, 0xc000]).buffer));
    expect(() => castFloats(new Uint8Array(4), 'I32', 'F32')).toThrow(SafetensorsError);
    expect(() => castFloats(new Uint8Array(3), 'F32', 'F16')).toThrow(/whole number/);
    const same = new Uint8Array(4);
    expect(castFloats(same, 'F32', 'F32')).toBe(same);
  });

  it.skipIf(!hasOracle)('matches torch .to() bit for bit between F64, F32, F16 and BF16 (NaN stays NaN)', async () => {
    const { dir, cleanup } = tempDir('cliphub-st-cast-');
    try {
      const src = inputs();
      const inFile = path.join(dir, 'in.safetensors');
      const outFile = path.join(dir, 'out.safetensors');
      await writeSafetensors(
        inFile,
        FLOATS.map((d) => bytesSource(d, d, [src[d].length / SIZE[d]], src[d])),
      );
      runPython(
        `
import sys, torch
from safetensors.torch import load_file, save_file
t = load_file(sys.argv[1])
names = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
out = {}
for a, x in t.items():
    for b, dt in names.items():
        if a != b:
            out[a + ">" + b] = x.to(dt).contiguous()
save_file(out, sys.argv[2])
`,
        [inFile, outFile],
      );
      const st = await openSafetensors(outFile);
      let compared = 0;
      for (const from of FLOATS) {
        for (const to of FLOATS) {
          if (from === to) continue;
          const want = await st.readTensor(`${from}>${to}`);
          const got = castFloats(src[from], from, to);
          expect(got.length).toBe(want.length);
          const n = got.length / SIZE[to];
          const mismatches: string[] = [];
          for (let i = 0; i < n; i++) {
            if (isNaNAt(src[from], from, i)) {
              if (!isNaNAt(got, to, i)) mismatches.push(`#${i} NaN lost`);
              continue;
            }
            const g = Buffer.from(got.subarray(i * SIZE[to], (i + 1) * SIZE[to])).toString('hex');
            const w = Buffer.from(want.subarray(i * SIZE[to], (i + 1) * SIZE[to])).toString('hex');
            if (g !== w)
              mismatches.push(
                `#${i} in=${Buffer.from(src[from].subarray(i * SIZE[from], (i + 1) * SIZE[from])).toString('hex')} got=${g} torch=${w}`,
              );
          }
          expect(mismatches.slice(0, 5), `${from} -> ${to}`).toEqual([]);
          compared += n;
        }
      }
      await st.close();
      expect(compared).toBeGreaterThan(500_000);
    } finally {
      cleanup();
    }
  });
});
