import { expect } from 'vitest';
import type { Reference } from '../reference.js';

function bytesEqual(a: ArrayBufferView | null, b: ArrayBufferView | null): boolean {
  if (!a || !b) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Bit-exact by default; `tol` (max |Δ| / max |ref|) for references made on another machine's CPU. */
export function expectSameCpuFp32(got: Reference, want: Reference, tol = 0): void {
  expect(got.n).toBe(want.n);
  expect(bytesEqual(got.pixelValues, want.pixelValues)).toBe(true);
  expect(bytesEqual(got.inputIds, want.inputIds)).toBe(true);
  const g = got.sets.get('cpu_fp32');
  const w = want.sets.get('cpu_fp32');
  expect(g && w).toBeTruthy();
  if (tol === 0) {
    expect(bytesEqual(g?.image ?? null, w?.image ?? null)).toBe(true);
    expect(bytesEqual(g?.text ?? null, w?.text ?? null)).toBe(true);
  } else {
    for (const t of ['image', 'text'] as const) {
      const a = g?.[t] as Float32Array;
      const b = w?.[t] as Float32Array;
      const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), -Infinity);
      const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), -Infinity);
      expect(worst / scale).toBeLessThanOrEqual(tol);
    }
  }
  expect(got.logitScale).toBe(want.logitScale);
  expect(got.logitBias).toBe(want.logitBias);
}
