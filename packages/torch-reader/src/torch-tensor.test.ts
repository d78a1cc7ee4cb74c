import { describe, expect, it } from 'vitest';
import { memorySource } from './byte-source.js';
import { TorchReaderError } from './errors.js';
import type { PyTensor } from './pyvalue.js';
import { floatStorage } from './test-utils/pickles.js';
import { gather, makeTorchTensor, overlaps, swapBytes } from './torch-tensor.js';

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
    expect([...new Float64Array(out.buffer.slice(out.byteOffset, out.byteOffset + 32))]).toEqual([
      1.5, 1.5, -2.25, -2.25,
    ]);
  });
});

describe('swapBytes', () => {
  it('reverses each element', () => {
    const b = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    swapBytes(b, 4);
    expect([...b]).toEqual([4, 3, 2, 1, 8, 7, 6, 5]);
  });
});

describe('tensor views that would write more than their storage (T1)', () => {
  const view = (shape: number[], strides: number[], numel: number, storageOffset = 0): PyTensor => ({
    kind: 'tensor',
    storage: floatStorage(numel),
    dtypeName: null,
    storageOffset,
    shape,
    strides,
    requiresGrad: false,
  });
  const make = (t: PyTensor) =>
    makeTorchTensor(
      'visual.w',
      t,
      { fileOffset: 0, byteLength: 4 * t.storage.numel, swap: false },
      memorySource(new Uint8Array(4 * t.storage.numel)),
    );
  const refusal = (t: PyTensor): TorchReaderError => {
    try {
      make(t);
    } catch (e) {
      if (e instanceof TorchReaderError) return e;
      throw e;
    }
    throw new Error('expected a refusal');
  };

  it('refuses stride 0 (expand) and overlapping strides, naming the tensor', () => {
    for (const [shape, strides, numel] of [
      [[2 ** 26], [0], 1],
      [[2 ** 40], [0], 1],
      [[1024, 1024], [1, 1], 2048],
      [[2, 2], [1, 1], 3],
      [[3, 4], [0, 1], 4],
    ] as Array<[number[], number[], number]>) {
      const e = refusal(view(shape, strides, numel));
      expect(e.code).toBe('OVERLAPPING_VIEW');
      expect(e.exitCode).toBe(2);
      expect(e.message).toContain('visual.w');
      expect(e.message.split('\n')).toHaveLength(1);
    }
  });

  it('refuses a shape far larger than its storage, and sizes whose extent overflows', () => {
    expect(refusal(view([2 ** 40], [1], 1)).code).toBe('TRUNCATED');
    expect(refusal(view([2 ** 20, 2 ** 20], [2 ** 20, 1], 1)).code).toBe('TRUNCATED');
    expect(refusal(view([2], [2 ** 60], 1)).code).toBe('BAD_TENSOR');
    expect(refusal(view([2 ** 30, 2 ** 30], [1, 2 ** 30], 1)).code).toBe('BAD_TENSOR');
  });

  it('accepts what torch.save writes for real weights: transposes, slices, size-1 broadcast dims, empties', async () => {
    const t = make(view([4, 5], [1, 4], 20));
    expect(t.contiguous).toBe(false);
    expect(t.byteLength).toBe(80);
    expect((await t.read()).length).toBe(80);
    expect(make(view([2, 4], [4, 1], 20, 4)).contiguous).toBe(true);
    expect(make(view([1, 512], [0, 1], 512)).byteLength).toBe(2048); // HF position_ids: expand over a size-1 dim
    expect(make(view([0, 3], [0, 0], 0)).byteLength).toBe(0);
    expect(make(view([], [], 1)).byteLength).toBe(4);
  });

  it('overlaps() is the non-overlapping test torch uses', () => {
    expect(overlaps([3, 4], [4, 1])).toBe(false);
    expect(overlaps([4, 3], [1, 4])).toBe(false);
    expect(overlaps([2, 3], [1, 2])).toBe(false);
    expect(overlaps([5], [0])).toBe(true);
    expect(overlaps([1, 5], [0, 1])).toBe(false);
    expect(overlaps([2, 2], [1, 1])).toBe(true);
    expect(overlaps([2, 3, 4], [12, 4, 1])).toBe(false);
    expect(overlaps([2, 3, 4], [12, 3, 1])).toBe(true);
  });
});
