import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { needsShared, sharedFixtures } from '#test-support';
import { openSafetensors } from '@cliphub/safetensors';
import { preprocessImage, type PreprocessCfg } from '@cliphub/preprocess';
import { diffStats } from './test-utils/diff.js';

const OPENAI = { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] };

describe.runIf(needsShared('preprocess parity with open_clip image_transform'))(
  'preprocessImage vs shared fixtures',
  () => {
    it('matches every IMAGE.MODE in expected_pixels.safetensors within mean|d| <= 0.02, max|d| <= 0.5', async () => {
      const dir = path.join(sharedFixtures as string, 'preprocess');
      const file = await openSafetensors(path.join(dir, 'expected_pixels.safetensors'));
      try {
        const keys = [...file.header.tensors.keys()].filter((k) => k.includes('.'));
        expect(keys.length).toBeGreaterThanOrEqual(4);
        for (const key of keys) {
          const [image, mode] = key.split('.') as [string, PreprocessCfg['resize_mode']];
          const bytes = await file.readTensor(key);
          const expected = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
          const cfg: PreprocessCfg = { size: 224, ...OPENAI, interpolation: 'bicubic', resize_mode: mode };
          const ours = await preprocessImage(path.join(dir, `${image}.png`), cfg);
          const { mean, max } = diffStats(ours, expected);
          console.log(`preprocess ${key}: mean|d| ${mean.toExponential(2)} max|d| ${max.toExponential(2)}`);
          expect(mean).toBeLessThanOrEqual(0.02);
          expect(max).toBeLessThanOrEqual(0.5);
        }
      } finally {
        await file.close();
      }
    });
  },
);
