import { describe, expect, it } from 'vitest';
import { npyBytes } from './npy.js';

describe('npyBytes', () => {
  it('writes a 64-aligned v1.0 header and little-endian floats', () => {
    const b = npyBytes(new Float32Array([1, -2.5, 3, 4, 5, 6]), [2, 3]);
    const headerLen = b[8]! | (b[9]! << 8);
    const header = Buffer.from(b.subarray(10, 10 + headerLen)).toString('latin1');
    expect(Buffer.from(b.subarray(0, 6)).toString('latin1')).toBe('\x93NUMPY');
    expect((10 + headerLen) % 64).toBe(0);
    expect(header.trimEnd()).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
    expect(header.endsWith('\n')).toBe(true);
    expect(Array.from(new Float32Array(b.slice(10 + headerLen).buffer))).toEqual([1, -2.5, 3, 4, 5, 6]);
  });

  it('writes 1-d shapes with the tuple comma and refuses a shape that does not fit', () => {
    const b = npyBytes(new Float32Array(3), [3]);
    expect(Buffer.from(b).toString('latin1')).toContain("'shape': (3,)");
    expect(() => npyBytes(new Float32Array(5), [2, 3])).toThrow(expect.objectContaining({ code: 'BAD_TENSOR' }));
  });
});
