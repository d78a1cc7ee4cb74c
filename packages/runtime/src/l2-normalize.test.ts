import { describe, expect, it } from 'vitest';
import { l2NormalizeRows } from './l2-normalize.js';

describe('l2NormalizeRows', () => {
  it('scales each row to unit length and leaves zero rows at zero', () => {
    const m = l2NormalizeRows(new Float32Array([3, 4, 0, 0, 0, -2]), 2);
    expect(Array.from(m)).toEqual([0.6000000238418579, 0.800000011920929, 0, 0, 0, -1]);
  });
});
