import { describe, expect, it } from 'vitest';
import { quantizePerChannel } from './quantize.js';

describe('quantizePerChannel', () => {
  const inDim = 5;
  const outDim = 3;
  // [in, out] with very different column ranges, to show scales are per column
  const w = Float32Array.from({ length: inDim * outDim }, (_, k) => Math.sin(k + 1) * 10 ** (k % outDim));

  it('gives each output column its own scale and reconstructs within half a step', () => {
    const { q, scale } = quantizePerChannel(w, inDim, outDim, false);
    for (let j = 0; j < outDim; j++) {
      let amax = 0;
      for (let i = 0; i < inDim; i++) amax = Math.max(amax, Math.abs(w[i * outDim + j] as number));
      expect(scale[j]).toBeCloseTo(amax / 127, 6);
      for (let i = 0; i < inDim; i++) {
        const err = Math.abs((q[i * outDim + j] as number) * (scale[j] as number) - (w[i * outDim + j] as number));
        expect(err).toBeLessThanOrEqual((scale[j] as number) / 2 + 1e-6);
      }
    }
    expect(Math.max(...Array.from(q, Math.abs))).toBe(127);
  });

  it('reads torch [out, in] weights into the same [in, out] layout', () => {
    const torch = new Float32Array(inDim * outDim);
    for (let i = 0; i < inDim; i++) for (let j = 0; j < outDim; j++) torch[j * inDim + i] = w[i * outDim + j] as number;
    const a = quantizePerChannel(w, inDim, outDim, false);
    const b = quantizePerChannel(torch, inDim, outDim, true);
    expect(Array.from(b.q)).toEqual(Array.from(a.q));
    expect(Array.from(b.scale)).toEqual(Array.from(a.scale));
  });
});
