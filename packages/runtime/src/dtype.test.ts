import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasOracle, tempDir } from '#test-support';
import { readManifest } from '@cliphub/model-manifest';
import { embedImages, embedTexts, loadModel } from './index.js';
import { exportModelDir, tinyModels } from '#test-support/model-export.js';
import { writeTestImages } from '#test-support/test-images.js';
import { compareRows } from './test-utils/oracle-embed.js';

// fp16 and int8 graphs keep float32 inputs and outputs, so the runtime feeds them like fp32 ones; normalize=true
// graphs come out unit length. Their fidelity is the exporter's business; here they must load and run.
describe.skipIf(!hasOracle)('exports other than plain fp32 run through the runtime', () => {
  const tmp = tempDir();
  let images: string[] = [];
  beforeAll(async () => {
    images = await writeTestImages(tmp.dir);
    for (const [name, opts] of [
      ['fp32', {}],
      ['fp16', { dtype: 'fp16' }],
      ['int8', { dtype: 'int8' }],
      ['norm', { normalize: true }],
    ] as const) {
      await exportModelDir(tinyModels('tiny-vit-variants'), path.join(tmp.dir, name), opts);
    }
  });
  afterAll(tmp.cleanup);

  it('fp16, int8 and normalized graphs agree with fp32 in direction', async () => {
    const embed = async (name: string) => {
      const m = await loadModel(path.join(tmp.dir, name));
      try {
        return {
          img: await embedImages(m, images),
          txt: await embedTexts(m, ['a photo of a cat', 'two dogs']),
          manifest: await readManifest(path.join(tmp.dir, name)),
        };
      } finally {
        await m.dispose();
      }
    };
    const ref = await embed('fp32');
    const rows = (a: Float32Array, d: number) =>
      Array.from({ length: a.length / d }, (_, i) => Array.from(a.subarray(i * d, (i + 1) * d)));
    for (const [name, minCos] of [
      ['fp16', 0.999],
      ['int8', 0.95],
      ['norm', 0.99999],
    ] as const) {
      const got = await embed(name);
      expect(got.manifest.dtype).toBe(name === 'norm' ? 'fp32' : name);
      expect(compareRows(got.img.data, rows(ref.img.data, 24), 24).minCos).toBeGreaterThan(minCos);
      expect(compareRows(got.txt.data, rows(ref.txt.data, 24), 24).minCos).toBeGreaterThan(minCos);
    }
    const norm = await embed('norm');
    expect(norm.manifest.normalize).toBe(true);
    for (const r of rows(norm.img.data, 24)) expect(Math.hypot(...r)).toBeCloseTo(1, 5);
  });
});
