import { describe, it } from 'vitest';
import { hasOracle } from '#test-support';
import { expectEveryModeFaithful } from './test-utils/full-size-vision.js';

// The zoo test covers every ViTamin-* config at tiny size (fp32 fused and plain, fp16); this one runs
// the full-size ViTamin-S config (22M-parameter MbConv + 14-block GeGLU ViT, 224 px) in every export mode.
describe.skipIf(!hasOracle)('full-size ViTamin-S vision tower against open_clip', () => {
  it('fp32 (fused, plain), fp16 and int8 stay within the fidelity bars', { timeout: 600_000 }, async () => {
    await expectEveryModeFaithful('ViTamin-S');
  });
});
