import { describe, expect, it } from 'vitest';
import { compareRows, rowDeviation } from './compare-rows.js';

describe('rowDeviation', () => {
  it('computes cosine, max |Δ|, max |ref|, relative L2 of one row', () => {
    const got = new Float32Array([3, 4, 1, 0]);
    const want = new Float32Array([3, 4, 0, 1]);
    expect(rowDeviation(got, want, 0, 2)).toEqual({ cosine: 1, maxAbs: 0, maxRef: 4, relL2: 0, nonFinite: 0 });
    const second = rowDeviation(got, want, 2, 4);
    expect(second.cosine).toBe(0);
    expect(second.maxAbs).toBe(1);
    expect(second.relL2).toBeCloseTo(Math.SQRT2, 15);
  });

  it('treats two zero rows as equal and a nonzero row against a zero reference as infinitely far', () => {
    expect(rowDeviation([0, 0], [0, 0], 0, 2)).toMatchObject({ cosine: 1, relL2: 0 });
    const off = rowDeviation([1, 0], [0, 0], 0, 2);
    expect(off.cosine).toBeNaN();
    expect(off.relL2).toBe(Infinity);
  });

  it('counts NaN and ±Inf and lets a NaN difference stick in max |Δ|', () => {
    const r = rowDeviation([NaN, 1, Infinity], [1, 5, 1], 0, 3);
    expect(r.nonFinite).toBe(2);
    expect(r.maxAbs).toBeNaN();
    expect(r.cosine).toBeNaN();
  });

  it('accumulates in float64 (a float32 sum would lose the small terms)', () => {
    const got = new Float32Array([1, ...new Array<number>(1000).fill(2 ** -13)]);
    const want = new Float32Array(got.length).fill(1);
    // Σ got·want = 1 + 1000·2⁻¹³ exactly in f64; in f32 each 2⁻¹³ added to ~1 would round away half its bits.
    const dot = 1 + 1000 * 2 ** -13;
    const gotSq = 1 + 1000 * 2 ** -26;
    expect(rowDeviation(got, want, 0, got.length).cosine).toBe(dot / Math.sqrt(gotSq * 1001));
  });
});

describe('compareRows', () => {
  it('reports the worst row cosine (at most 1), max |Δ| and max |ref| over [n, dim] rows', () => {
    const want = new Float32Array([1, 0, 0, 2, 3, 4]);
    const got = new Float32Array([1, 0, 0, 2, 4, 3]);
    const c = compareRows(got, want, 2);
    expect(c.rows).toHaveLength(3);
    expect(c.minCos).toBeCloseTo(24 / 25, 15);
    expect(c.maxAbs).toBe(1);
    expect(c.maxRef).toBe(4);
    expect(compareRows([1e-300, 1], [1e-300, 1], 2).minCos).toBe(1);
  });

  it('fails loudly on a NaN row', () => {
    const c = compareRows([1, 0, NaN, 0], [1, 0, 0, 1], 2);
    expect(c.minCos).toBeNaN();
    expect(c.maxAbs).toBeNaN();
  });
});
