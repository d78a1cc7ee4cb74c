import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasOracle, needsShared, sharedFixtures, tempDir } from '#test-support';
import { fullVitB32Weights, openClipImageEmbeddings } from '#test-support/vit-b-32.js';
import { embedImages, loadModel } from './index.js';
import { exportModelDir } from '#test-support/model-export.js';
import { compareRows } from './test-utils/oracle-embed.js';

const fixture = sharedFixtures ? path.join(sharedFixtures, 'full', 'ViT-B-32') : '';
describe.skipIf(!hasOracle || !needsShared('full-size ViT-B-32 through the runtime'))(
  'full-size ViT-B-32 through the runtime',
  () => {
    it(
      'image embeddings of the shared images (sharp preprocessing) reach cosine >= 0.999 against open_clip fed by PIL',
      { timeout: 240_000 },
      async () => {
        const weights = await fullVitB32Weights();
        const { dir, cleanup } = tempDir();
        try {
          await exportModelDir(fixture, dir, { weights, towers: ['vision'] }); // text is covered on the tiny models
          const pre = path.join(sharedFixtures as string, 'preprocess');
          const images = readdirSync(pre)
            .filter((f) => /\.(png|jpe?g)$/.test(f))
            .sort()
            .map((f) => path.join(pre, f));
          const want = await openClipImageEmbeddings(weights, images, dir);
          const model = await loadModel(dir);
          try {
            const img = compareRows((await embedImages(model, images, { batch: 4 })).data, want, 512);
            console.log(`ViT-B-32 runtime vs open_clip+PIL on ${images.length} images: ${JSON.stringify(img)}`);
            expect(images.length).toBeGreaterThanOrEqual(4);
            expect(img.minCos).toBeGreaterThanOrEqual(0.999);
          } finally {
            await model.dispose();
          }
        } finally {
          cleanup();
        }
      },
    );
  },
);
