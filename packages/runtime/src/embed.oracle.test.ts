import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasOracle, tempDir } from '#test-support';
import { embedImages, embedTexts, loadModel, zeroShot, type ClipModel } from './index.js';
import { exportModelDir, tinyModels } from '#test-support/model-export.js';
import { writeTestImages } from '#test-support/test-images.js';
import { compareRows, oracleEmbed, type OracleOut } from './test-utils/oracle-embed.js';

const MODELS = ['tiny-vit-quickgelu', 'tiny-vit-gelu', 'tiny-vit-attnpool', 'tiny-vit-variants', 'tiny-rn-quickgelu'];
const TEXTS = [
  'a photo of a cat',
  'A DOG!!  🐶 running',
  'naïve café — “quoted” ﬁsh &amp; chips',
  '',
  Array.from({ length: 90 }, (_, i) => `word${i}`).join(' '), // longer than 77 tokens: truncated
];
const LABELS = ['a dog', 'a cat', 'a striped pattern'];

describe.skipIf(!hasOracle)('embedImages / embedTexts / zeroShot vs open_clip', () => {
  const tmp = tempDir();
  const dirs: Record<string, string> = {};
  let images: string[] = [];
  let oracle: Record<string, OracleOut> = {};
  const models: Record<string, ClipModel> = {};

  beforeAll(async () => {
    images = await writeTestImages(tmp.dir);
    for (const name of MODELS) {
      dirs[name] = path.join(tmp.dir, name);
      await exportModelDir(tinyModels(name), dirs[name]);
      models[name] = await loadModel(dirs[name]);
    }
    const cases = MODELS.map((name) => ({
      key: name,
      dir: tinyModels(name),
      images,
      texts: TEXTS,
      zs: { image: images[0]!, prompts: LABELS.map((l) => `a photo of ${l}.`) },
    }));
    const file = path.join(tmp.dir, 'cases.json');
    writeFileSync(file, JSON.stringify(cases));
    oracle = oracleEmbed(file);
  });
  afterAll(async () => {
    for (const m of Object.values(models)) await m.dispose();
    tmp.cleanup();
  });

  it.each(MODELS)('%s: image embeddings of PNG/JPEG/grey/RGBA files match open_clip fed by PIL', async (name) => {
    const got = await embedImages(models[name]!, images, { batch: 2 });
    expect(got.count).toBe(images.length);
    expect(got.indices).toEqual([0, 1, 2, 3, 4]);
    const r = compareRows(got.data, oracle[name]!.image, got.dim);
    expect(r.minCos).toBeGreaterThan(0.99999);
    expect(r.maxAbs).toBeLessThan(1e-4);
  });

  it.each(MODELS)(
    '%s: text embeddings of raw strings match open_clip, the long one counted as truncated',
    async (name) => {
      const got = await embedTexts(models[name]!, TEXTS, { batch: 3 });
      expect(got.truncated).toBe(1);
      expect(got.truncatedIndices).toEqual([4]);
      const r = compareRows(got.data, oracle[name]!.text, got.dim);
      expect(r.minCos).toBeGreaterThan(0.99999);
      expect(r.maxAbs).toBeLessThan(1e-4);
    },
  );

  it.each(MODELS)('%s: zero-shot probabilities equal the README recipe with logit_scale.exp()', async (name) => {
    const z = await zeroShot(models[name]!, images[0]!, LABELS, { templates: ['a photo of {}.'] });
    expect(z.activation).toBe('softmax');
    expect(z.logitScale).toBeCloseTo(oracle[name]!.scale, 4);
    z.probs.forEach((p, i) => expect(p).toBeCloseTo(oracle[name]!.probs![i]!, 5));
    expect(z.probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('normalize: rows come out unit length and parallel to the raw ones', async () => {
    const m = models['tiny-vit-gelu']!;
    const raw = await embedImages(m, images.slice(0, 2));
    const unit = await embedImages(m, images.slice(0, 2), { normalize: true });
    for (let i = 0; i < 2; i++) {
      const row = unit.data.subarray(i * unit.dim, (i + 1) * unit.dim);
      expect(Math.hypot(...row)).toBeCloseTo(1, 5);
      expect(
        compareRows(raw.data.subarray(i * raw.dim, (i + 1) * raw.dim), [Array.from(row)], raw.dim).minCos,
      ).toBeGreaterThan(0.99999);
    }
  });
});
