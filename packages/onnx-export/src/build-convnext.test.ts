import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasOracle, tempDir } from '#test-support';
import { fullSizeVision, visionFidelity } from './test-utils/full-size-vision.js';

// The zoo test covers every convnext_* config at tiny size (fp32 fused and plain, fp16); this one runs
// the full-size convnext_tiny config (28M-parameter trunk, 224 px) in every export mode.
describe.skipIf(!hasOracle)('full-size convnext_tiny vision tower against open_clip', () => {
  it('fp32 (fused, plain), fp16 and int8 stay within the fidelity bars', { timeout: 600_000 }, async () => {
    const dir = await fullSizeVision('convnext_tiny');
    const { dir: scratch, cleanup } = tempDir();
    try {
      const run = (name: string, o: object) => visionFidelity(dir, path.join(scratch, name), o);
      const fused = await run('fused', {});
      const plain = await run('plain', { contribOps: false });
      const fp16 = await run('fp16', { dtype: 'fp16' });
      const int8 = await run('int8', { dtype: 'int8' });
      console.log(`convnext_tiny ${JSON.stringify({ fused, plain, fp16, int8 })}`);
      for (const r of [fused, plain]) {
        expect(r.minCos).toBeGreaterThanOrEqual(0.99999);
        expect(r.maxRel).toBeLessThanOrEqual(1e-4);
      }
      expect(fp16.minCos).toBeGreaterThanOrEqual(0.999);
      expect(int8.minCos).toBeGreaterThanOrEqual(0.99);
    } finally {
      cleanup();
    }
  });
});
