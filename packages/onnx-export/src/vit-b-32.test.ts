import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasOracle, needsShared, sharedFixtures, tempDir } from '#test-support';
import { fullVitB32Weights } from '#test-support/vit-b-32.js';
import { compare, embedImages, embedTexts, exportFixture, loadReference } from '#test-support/onnx-fidelity.js';

const fixture = sharedFixtures ? path.join(sharedFixtures, 'full', 'ViT-B-32') : '';

describe.skipIf(!hasOracle || !needsShared('full-size ViT-B-32 reference'))('full-size ViT-B-32', () => {
  it('fp32 export of both towers reproduces the open_clip cpu_fp32 reference', { timeout: 120_000 }, async () => {
    const weights = await fullVitB32Weights();
    const { dir: out, cleanup } = tempDir();
    try {
      const t0 = performance.now();
      const r = await exportFixture(fixture, out, {}, weights);
      const exportMs = performance.now() - t0;
      const ref = await loadReference(path.join(fixture, 'reference.safetensors'));
      const n = ref.pixels.dims[0] as number;
      const img = compare(await embedImages(path.join(out, 'vision.onnx'), ref), ref.image.data, n);
      const txt = compare(await embedTexts(path.join(out, 'text.onnx'), ref), ref.text.data, n);
      console.log(
        `ViT-B-32 export ${exportMs.toFixed(0)} ms; image ${JSON.stringify(img)}; text ${JSON.stringify(txt)}`,
      );
      console.log(JSON.stringify(Object.fromEntries(r.towers.map((t) => [t.tower, t.nodeCounts]))));
      expect(img.minCos).toBeGreaterThanOrEqual(0.99999);
      expect(img.maxRel).toBeLessThanOrEqual(1e-4);
      expect(txt.minCos).toBeGreaterThanOrEqual(0.99999);
      expect(txt.maxRel).toBeLessThanOrEqual(1e-4);
      expect(r.logitScale).toBeCloseTo(Math.log(1 / 0.07), 5);
    } finally {
      cleanup();
    }
  });
});
