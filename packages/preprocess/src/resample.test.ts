import { describe, expect, it } from 'vitest';
import { checkCfg, resample, type PreprocessCfg } from '@cliphub/preprocess';

describe('resample (Pillow fixed-point antialiasing)', () => {
  const img = (w: number, h: number, f: (x: number, y: number) => number) => {
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.fill(f(x, y), (y * w + x) * 3, (y * w + x) * 3 + 3);
    return { data, width: w, height: h, channels: 3 };
  };

  it('keeps a flat image flat in both directions and both filters', () => {
    for (const interp of ['bicubic', 'bilinear'] as const) {
      const out = resample(
        img(37, 23, () => 200),
        11,
        64,
        interp,
      );
      expect([out.width, out.height]).toEqual([11, 64]);
      expect(new Set(out.data)).toEqual(new Set([200]));
    }
  });

  it('is the identity at the same size and clamps bicubic overshoot to 0..255', () => {
    const edge = img(8, 8, (x) => (x < 4 ? 0 : 255));
    expect(resample(edge, 8, 8, 'bicubic').data).toEqual(edge.data);
    const up = resample(edge, 32, 8, 'bicubic');
    expect(Math.min(...up.data)).toBe(0);
    expect(Math.max(...up.data)).toBe(255);
  });

  it('widens the kernel by the scale when shrinking (antialiasing), as Pillow does', () => {
    // Halving with bilinear: support 2 input pixels, so output 0 weighs inputs 0,1,2 by 3:3:1 and
    // output 1 weighs inputs 1,2,3 by 1:3:3 -> (150+300+50)/7 = 71.4 and (100+150+300)/7 = 78.6.
    const stripes = img(4, 2, (x) => (x % 2 ? 100 : 50));
    expect([...resample(stripes, 2, 1, 'bilinear').data]).toEqual([71, 71, 71, 79, 79, 79]);
  });

  it('rejects bad configs with a typed error', () => {
    const ok: PreprocessCfg = {
      size: 224,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      interpolation: 'bicubic',
      resize_mode: 'shortest',
    };
    expect(checkCfg(ok)).toEqual([224, 224]);
    expect(checkCfg({ ...ok, size: [96, 160] })).toEqual([96, 160]);
    for (const bad of [
      { size: 0 },
      { std: [1, 0, 1] },
      { mean: [0, 0] },
      { interpolation: 'lanczos' },
      { resize_mode: 'crop' },
    ]) {
      expect(() => checkCfg({ ...ok, ...bad } as PreprocessCfg)).toThrow(
        expect.objectContaining({ code: 'BAD_CONFIG', exitCode: 2 }),
      );
    }
  });
});
