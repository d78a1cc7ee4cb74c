import { describe, expect, it } from 'vitest';
import { compareTower } from './metrics.js';
import { compareSimilarity } from './similarity.js';
import { spearman } from './spearman.js';

describe('compareTower', () => {
  it('computes cosine, max |d|, relative L2 per sample and the aggregates', () => {
    const ref = new Float32Array([3, 4, 0, 1]);
    const cand = new Float32Array([3, 4, 1, 0]);
    const m = compareTower('image', ref, cand, 2, 2);
    expect(m.samples[0]).toEqual({ cosine: 1, maxAbs: 0, relL2: 0, nonFinite: 0 });
    expect(m.samples[1]?.cosine).toBeCloseTo(0, 12);
    expect(m.samples[1]?.relL2).toBeCloseTo(Math.SQRT2, 12);
    expect(m.minCosine).toBeCloseTo(0, 12);
    expect(m.maxAbs).toBe(1);
    expect(m.maxAbsRel).toBeCloseTo(1 / 4, 12);
  });

  it('detects NaN and Inf and never lets them pass as small', () => {
    const m = compareTower('text', new Float32Array([1, 1, 1, 1]), new Float32Array([NaN, 1, Infinity, 1]), 2, 2);
    expect(m.nonFinite).toBe(2);
    expect(m.samples.map((s) => s.nonFinite)).toEqual([1, 1]);
    expect(m.minCosine).toBeNaN();
    expect(m.maxAbs).toBeNaN();
  });
});

describe('spearman', () => {
  it('is 1 for any monotone map, -1 reversed, and averages ties', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 1000])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // ranks [1.5, 1.5, 3] vs [1, 2, 3]: rho = 0.866...
    expect(spearman([5, 5, 7], [1, 2, 3])).toBeCloseTo(Math.sqrt(3) / 2, 12);
    expect(spearman([1, NaN], [1, 2])).toBeNaN();
  });
});

describe('compareSimilarity', () => {
  const img = new Float32Array([1, 0, 0, 1]);
  const txt = new Float32Array([1, 0.1, 0.1, 1]);
  it('applies exp(logit_scale) and logit_bias to cosine similarities', async () => {
    const s = await compareSimilarity({ image: img, text: txt }, { image: img, text: txt }, 2, 2, Math.log(10), -2);
    expect(s.scale).toBeCloseTo(10, 12);
    expect(s.reference?.[0]?.[0]).toBeCloseTo(10 / Math.sqrt(1.01) - 2, 5);
    expect(s.argmaxImageToText).toBe(1);
    expect(s.maxLogitDiff).toBe(0);
  });
  it('counts a swapped best match, unless it is within the tie tolerance', async () => {
    const swapped = new Float32Array([0.1, 1, 1, 0.1]);
    const s = await compareSimilarity({ image: img, text: txt }, { image: img, text: swapped }, 2, 2, 0, null);
    expect(s.argmaxImageToText).toBe(0);
    expect(s.spearman).toBeLessThan(0);
    const near = await compareSimilarity({ image: img, text: txt }, { image: img, text: swapped }, 2, 2, 0, null, 2);
    expect(near.argmaxImageToText).toBe(1);
    expect(near.raw.argmaxImageToText).toBe(0);
  });
});
