import { describe, expect, it } from 'vitest';
import { estimateCompute } from './estimate-compute.js';
import { estimateMemory } from './estimate-memory.js';
import { gpuType } from './gpus.js';
import { profileCosts } from './tower-costs.js';

const b32 = profileCosts('ViT-B-32')!;
const l14 = profileCosts('ViT-L-14-quickgelu')!;

describe('estimates', () => {
  it("reads open_clip's profile, halving its FLOPs to MACs", () => {
    expect(b32).toMatchObject({
      imageMparams: 87.85,
      textMparams: 63.43,
      imageGmacs: 4.41,
      textGmacs: 2.98,
      imageWidth: 768,
      textWidth: 512,
    });
    expect(l14).toMatchObject({
      imageMparams: 303.97,
      imageGmacs: 162.03 / 2,
      source: expect.stringMatching(/^open_clip 3\.3\.0 model_profile\.csv row ViT-L-14/),
    });
    expect(profileCosts('no-such-arch')).toBeNull();
  });

  it('sums weights, AdamW states, DDP buckets, activations and logits per GPU', () => {
    const m = estimateMemory({
      student: b32,
      teacher: l14,
      precision: 'amp_bf16',
      batchPerGpu: 256,
      globalBatch: 32768,
      gradCheckpointing: false,
      distributed: true,
    });
    const GiB = 1024 ** 3;
    expect(m.studentStatesGiB).toBeCloseTo((151.28e6 * 20) / GiB, 6);
    expect(m.teacherWeightsGiB).toBeCloseTo((427.62e6 * 4) / GiB, 6);
    expect(m.activationsGiB).toBeCloseTo(((34 / 12) * (4.41e9 / 768 + 2.98e9 / 512) * 256) / GiB, 6);
    expect(m.logitsGiB).toBeCloseTo((256 * 32768 * 32) / GiB, 6);
    const ckpt = estimateMemory({
      student: b32,
      teacher: l14,
      precision: 'amp_bf16',
      batchPerGpu: 256,
      globalBatch: 32768,
      gradCheckpointing: true,
      distributed: true,
    });
    expect(ckpt.activationsGiB).toBeCloseTo((m.activationsGiB * 2) / 34, 6);
  });

  it('turns FLOPs per sample into GPU-hours at peak x MFU', () => {
    const c = estimateCompute({
      student: b32,
      teacher: l14,
      samples: 13e9,
      gpus: 128,
      gpu: gpuType('a100-40gb')!,
      precision: 'amp_bf16',
      mfu: 0.35,
      gradCheckpointing: false,
    });
    expect(c.teacherFlopsPerSample).toBeCloseTo(2 * (162.03 / 2 + 13.3 / 2) * 1e9, 0);
    expect(c.studentFlopsPerSample).toBeCloseTo(6 * (4.41 + 2.98) * 1e9, 0);
    expect(c.gpuHours).toBeCloseTo(
      ((c.teacherFlopsPerSample + c.studentFlopsPerSample) * 13e9) / (312e12 * 0.35) / 3600,
      6,
    );
    expect(c.wallHours).toBeCloseTo(c.gpuHours / 128, 9);
  });
});
