import { describe, expect, it } from 'vitest';
import { f32BitsToBf16, f32BitsToF16, float16ToFloat32, float32ToFloat16 } from './float16.js';

describe('fp16/bf16 codec', () => {
  it('rounds to nearest even at every boundary', () => {
    expect(f32BitsToF16(0x3f800000)).toBe(0x3c00); // 1
    expect(f32BitsToF16(0x3f801000)).toBe(0x3c00); // 1 + 2^-11: tie, to even
    expect(f32BitsToF16(0x3f803000)).toBe(0x3c02); // 1 + 3*2^-11: tie, to even (up)
    expect(f32BitsToF16(0x477ff000)).toBe(0x7c00); // 65520 ties to even = inf
    expect(f32BitsToF16(0x33000000)).toBe(0); // 2^-25 tie to zero
    expect(f32BitsToF16(0x33000001)).toBe(1);
    expect(f32BitsToF16(0xffa00000)).toBe(0xff00); // signalling NaN: quieted, sign and payload kept
    expect(f32BitsToBf16(0x3f808000)).toBe(0x3f80);
    expect(f32BitsToBf16(0x3f818000)).toBe(0x3f82);
    expect(f32BitsToBf16(0x7f7fffff)).toBe(0x7f80);
  });

  it('every finite half survives half -> float -> half', () => {
    const halves = new Uint16Array(65536).map((_, i) => i);
    const back = float32ToFloat16(float16ToFloat32(halves));
    for (let h = 0; h < 65536; h++) {
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) continue; // NaNs come back quieted
      if (back[h] !== h) throw new Error(`half 0x${h.toString(16)} came back as 0x${back[h]!.toString(16)}`);
    }
    expect(float16ToFloat32(new Uint16Array([0x3c00, 0xc000, 0x0001]))).toEqual(new Float32Array([1, -2, 2 ** -24]));
  });
});
