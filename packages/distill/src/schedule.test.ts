import { describe, expect, it } from 'vitest';
import { parseRecipe } from './load-recipe.js';
import { computeSchedule } from './schedule.js';
import { baseRecipe } from './test-utils/recipe.js';
import type { RecipeInput } from './recipe-schema.js';

const sched = (edit: (r: RecipeInput) => void) => {
  const r = baseRecipe();
  edit(r);
  return computeSchedule(parseRecipe(r, 'test'));
};

describe('computeSchedule', () => {
  it("follows open_clip_train's webdataset step rounding (batches rounded up to a multiple of the workers)", () => {
    const s = sched(() => {});
    // 10M / 2048 = 4882.8 -> 4883 batches -> 611 per worker x 8 workers = 4888.
    expect(s).toMatchObject({
      gpus: 8,
      globalBatch: 2048,
      samplesPerEpoch: 10_000_000,
      epochs: 2,
      stepsPerEpoch: 4888,
      totalSteps: 9776,
      errors: [],
    });
  });

  it('turns total samples into epochs of samplesPerEpoch, warning when they do not divide', () => {
    const s = sched((r) => {
      r.schedule.epochs = undefined;
      r.schedule.samples = 25_000_000;
      r.schedule.samplesPerEpoch = 10_000_000;
    });
    expect(s.epochs).toBe(3);
    expect(s.warnings[0]).toMatch(/rounded up to 3 epochs/);
  });

  it('rejects samples and epochs that disagree', () => {
    const s = sched((r) => {
      r.schedule.samples = 50_000_000;
    });
    expect(s.errors).toContain(
      'schedule.samples 50000000 at 10000000 samples per epoch is 5 epochs, but schedule.epochs is 2; give one of them',
    );
  });

  it('rejects a global batch larger than an epoch (impossible batch)', () => {
    const s = sched((r) => {
      r.data = { kind: 'synthetic', samples: 1000 };
    });
    expect(s.errors[0]).toBe(
      'global batch 2048 (256 per GPU x 8 GPUs) is larger than an epoch of 1000 samples; lower schedule.batchPerGpu or the GPU count, or add data',
    );
  });

  it('rejects warmup that outlasts the run, and CSV epochs that are not one pass', () => {
    expect(sched((r) => void (r.schedule.warmup = 20_000)).errors[0]).toBe(
      'warmup of 20000 steps is not shorter than the whole run (9776 steps); lower schedule.warmup',
    );
    const csv = sched((r) => {
      r.data = { kind: 'csv', path: '/d.csv', samples: 100_000 };
      r.schedule.samplesPerEpoch = 50_000;
      r.schedule.warmup = 1;
    });
    expect(csv.errors[0]).toMatch(/a CSV epoch is one pass over its 100000 rows/);
    expect(csv.stepsPerEpoch).toBe(48); // floor(100000 / 2048), drop_last
  });
});
