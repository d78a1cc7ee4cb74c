import { describe, expect, it } from 'vitest';
import { float32ToFloat16, scaleBlocks, toFloat32 } from './tensor-math.js';

const half = (x: number) => float32ToFloat16(Float32Array.of(x))[0];

describe('float32ToFloat16', () => {
  it('rounds to nearest even and saturates like torch .half()', () => {
    expect(half(1)).toBe(0x3c00);
    expect(half(-2)).toBe(0xc000);
    expect(half(65504)).toBe(0x7bff);
    expect(half(65520)).toBe(0x7c00); // rounds up to inf
    expect(half(65519)).toBe(0x7bff);
    expect(half(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(half(2 ** -26)).toBe(0x0000); // below half of it
    expect(half(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(half(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(half(Infinity)).toBe(0x7c00);
    expect((half(NaN) as number) & 0x7c00).toBe(0x7c00);
    expect(half(-0)).toBe(0x8000);
  });

  it('round-trips every finite half exactly through toFloat32', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i).filter((h) => (h & 0x7c00) !== 0x7c00);
    const f = toFloat32(new Uint8Array(all.buffer), 'F16');
    expect(Array.from(float32ToFloat16(f))).toEqual(Array.from(all));
  });
});

describe('toFloat32', () => {
  it('decodes BF16, F64 and unaligned F32', () => {
    expect(Array.from(toFloat32(new Uint8Array(Uint16Array.of(0x3f80, 0xc040).buffer), 'BF16'))).toEqual([1, -3]);
    expect(Array.from(toFloat32(new Uint8Array(Float64Array.of(0.5, -8).buffer), 'F64'))).toEqual([0.5, -8]);
    const buf = new Uint8Array(9);
    buf.set(new Uint8Array(Float32Array.of(1.5, 2.5).buffer), 1);
    expect(Array.from(toFloat32(buf.subarray(1), 'F32'))).toEqual([1.5, 2.5]);
  });
});

describe('scaleBlocks', () => {
  it('multiplies each run of `per` values by its own factor, rounding the float64 product to float32 once', () => {
    const values = Float32Array.of(1, 2, 3, 4, 5, 6);
    expect([...scaleBlocks(values, [2, -1, 0.5], 2)]).toEqual([2, 4, -3, -4, 2.5, 3]);
    expect([...scaleBlocks(values, [3], 6)]).toEqual([3, 6, 9, 12, 15, 18]);
    const third = Float64Array.of(1 / 3);
    expect(scaleBlocks(Float32Array.of(0.1), third, 1)[0]).toBe(Math.fround(Math.fround(0.1) * (1 / 3)));
    expect(values).toEqual(Float32Array.of(1, 2, 3, 4, 5, 6)); // the input is not touched
  });
});
