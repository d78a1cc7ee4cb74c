import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasOracle, runPython, tempDir } from '#test-support';
import { preprocessBatch, preprocessImage, PreprocessError, type PreprocessCfg } from '@cliphub/preprocess';
import { diffStats } from './test-utils/diff.js';

// Images PIL writes (seeded noise plus gradients, so resampling has detail to get wrong), in the modes and
// formats users meet; then open_clip's own image_transform on each, dumped as raw float32.
const PY = `
import json, sys, os
import numpy as np
from PIL import Image
import open_clip
from open_clip.transform import image_transform
out = sys.argv[1]
cases = json.loads(sys.argv[2])
rng = np.random.default_rng(7)
def pixels(w, h, c):
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([(xx * 255 // max(w - 1, 1)), (yy * 255 // max(h - 1, 1)), ((xx + yy) * 7) % 256, (xx * yy) % 256][:c], -1)
    noise = rng.integers(0, 64, size=(h, w, c))
    return np.clip(base + noise - 32, 0, 255).astype(np.uint8)
made = {}
for c in cases:
    name = c['image']
    if name not in made:
        w, h, mode, fmt = c['w'], c['h'], c['mode'], c['fmt']
        ch = {'RGB': 3, 'L': 1, 'RGBA': 4, 'LA': 2, 'CMYK': 4}[mode]
        arr = pixels(w, h, ch)
        if mode == 'RGBA' or mode == 'LA':
            arr[..., -1] = np.where(arr[..., -1] < 40, 0, arr[..., -1])  # some fully transparent pixels
        im = Image.fromarray(arr[..., 0] if ch == 1 else arr, mode)
        p = os.path.join(out, name)
        im.save(p, quality=92) if fmt == 'jpg' else im.save(p)
        made[name] = p
    cfg = c['cfg']
    size = cfg['size'] if isinstance(cfg['size'], int) else tuple(cfg['size'])
    t = image_transform(size, is_train=False, mean=cfg['mean'], std=cfg['std'], resize_mode=cfg['resize_mode'],
                        interpolation=cfg['interpolation'], fill_color=cfg.get('fill_color', 0))
    x = t(Image.open(made[name])).numpy().astype(np.float32)
    x.tofile(os.path.join(out, c['key'] + '.f32'))
print(json.dumps(open_clip.__version__))
`;

const OPENAI = { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] };
const SIGLIP = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
interface Case {
  key: string;
  image: string;
  w: number;
  h: number;
  mode: string;
  fmt: 'png' | 'jpg';
  cfg: PreprocessCfg;
}

const images = [
  { image: 'rgb-odd.png', w: 333, h: 251, mode: 'RGB', fmt: 'png' },
  { image: 'rgb-tall.jpg', w: 97, h: 403, mode: 'RGB', fmt: 'jpg' },
  { image: 'gray.png', w: 300, h: 200, mode: 'L', fmt: 'png' },
  { image: 'gray.jpg', w: 129, h: 257, mode: 'L', fmt: 'jpg' },
  { image: 'rgba.png', w: 260, h: 190, mode: 'RGBA', fmt: 'png' },
  { image: 'la.png', w: 150, h: 220, mode: 'LA', fmt: 'png' },
  { image: 'cmyk.jpg', w: 241, h: 181, mode: 'CMYK', fmt: 'jpg' },
  { image: 'small.png', w: 37, h: 23, mode: 'RGB', fmt: 'png' },
] as const;
const cfgs: Record<string, PreprocessCfg> = {
  'bicubic-shortest-224': { size: 224, ...OPENAI, interpolation: 'bicubic', resize_mode: 'shortest' },
  'bilinear-longest-fill': { size: 64, ...SIGLIP, interpolation: 'bilinear', resize_mode: 'longest', fill_color: 128 },
  'bicubic-squash-rect': { size: [96, 160], ...OPENAI, interpolation: 'bicubic', resize_mode: 'squash' },
  'bilinear-shortest-rect': { size: [80, 48], ...SIGLIP, interpolation: 'bilinear', resize_mode: 'shortest' },
};
const cases: Case[] = images.flatMap((img) =>
  Object.entries(cfgs).map(([name, cfg]) => ({ ...img, key: `${img.image}.${name}`, cfg })),
);

describe.skipIf(!hasOracle)('preprocessImage vs open_clip image_transform on generated images', () => {
  const { dir, cleanup } = tempDir();
  beforeAll(() => void runPython(PY, [dir, JSON.stringify(cases)]));
  afterAll(cleanup);

  it('matches PNG, JPEG, grayscale, RGBA, LA, CMYK, odd and tiny sizes in every mode', async () => {
    {
      const rows: string[] = [];
      let worstMean = 0;
      let worstMax = 0;
      for (const c of cases) {
        const expected = new Float32Array(readFileSync(path.join(dir, `${c.key}.f32`)).buffer.slice(0));
        const ours = await preprocessImage(path.join(dir, c.image), c.cfg);
        const { mean, max } = diffStats(ours, expected);
        rows.push(`${c.key}: mean|d| ${mean.toExponential(1)} max|d| ${max.toExponential(1)}`);
        worstMean = Math.max(worstMean, mean);
        worstMax = Math.max(worstMax, max);
      }
      console.log(
        `${rows.join('\n')}\nworst over ${cases.length}: mean|d| ${worstMean.toExponential(2)} max|d| ${worstMax.toExponential(2)}`,
      );
      expect(worstMean).toBeLessThanOrEqual(0.02);
      expect(worstMax).toBeLessThanOrEqual(0.5);
    }
  });

  it('batches in input order and names a corrupt file in a typed error', async () => {
    {
      const cfg = cfgs['bicubic-shortest-224'] as PreprocessCfg;
      const a = path.join(dir, 'rgb-odd.png');
      const b = path.join(dir, 'rgb-tall.jpg');
      const batch = await preprocessBatch([b, a], cfg);
      expect(batch.shape).toEqual([2, 3, 224, 224]);
      expect(batch.data.subarray(3 * 224 * 224)).toEqual(await preprocessImage(a, cfg));
      const bad = path.join(dir, 'corrupt.jpg');
      writeFileSync(bad, readFileSync(b).subarray(0, 200));
      const err = await preprocessImage(bad, cfg).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PreprocessError);
      expect(err).toMatchObject({ code: 'IMAGE_UNREADABLE', exitCode: 2, file: bad });
      expect((err as Error).message).toContain(bad);
      await expect(preprocessImage(path.join(dir, 'missing.png'), cfg)).rejects.toMatchObject({
        code: 'IMAGE_UNREADABLE',
      });
      await expect(preprocessImage(a, { ...cfg, size: 0 })).rejects.toMatchObject({ code: 'BAD_CONFIG', exitCode: 2 });
    }
  });
});
