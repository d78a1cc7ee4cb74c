import { describe, expect, it } from 'vitest';
import { gather, swapBytes } from './torch-tensor.js';

describe('gather', () => {
  it('copies a transposed, offset view into row-major order across chunk boundaries', () => {
    // storage: 0..11 as u16, view = storage[1:].view(3, 3) transposed -> strides [1, 3]
    const storage = new Uint16Array(12).map((_, i) => i);
    const span = new Uint8Array(storage.buffer, 2, 2 * 9);
    for (const chunk of [1, 2, 4, 9, 100]) {
      const parts = [...gather(span, [3, 3], [1, 3], 2, 9, chunk)];
      const out = new Uint16Array(Uint8Array.from(Buffer.concat(parts)).buffer);
      expect([...out.subarray(0, 9)]).toEqual([1, 4, 7, 2, 5, 8, 3, 6, 9]);
      expect(parts.length).toBe(Math.ceil(9 / chunk));
    }
  });

  it('handles 8-byte elements, unaligned spans and broadcast (zero) strides', () => {
    const raw = new Uint8Array(1 + 16);
    const f = new Float64Array([1.5, -2.25]);
    raw.set(new Uint8Array(f.buffer), 1);
    const out = Buffer.concat([...gather(raw.subarray(1), [2, 2], [1, 0], 8, 4, 3)]);
    expect([...new Float64Array(out.buffer.slice(out.byteOffset, out.byteOffset + 32))]).toEqual([1.5, 1.5, -2.25, -2.25]);
  });
});

describe('swapBytes', () => {
  it('reverses each element', () => {
    const b = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    swapBytes(b, 4);
    expect([...b]).toEqual([4, 3, 2, 1, 8, 7, 6, 5]);
  });
});
