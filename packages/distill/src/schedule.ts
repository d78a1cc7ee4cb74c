import type { Recipe } from './recipe-schema.js';

export interface Schedule {
  gpus: number;
  globalBatch: number;
  samplesPerEpoch: number;
  epochs: number;
  stepsPerEpoch: number;
  totalSteps: number;
  /** Samples the run will actually see (whole steps). */
  totalSamples: number;
  errors: string[];
  warnings: string[];
}

/**
 * open_clip_train's step arithmetic for the recipe's data: webdataset rounds batches per epoch up to a
 * multiple of the loader workers (data.py get_wds_dataset); CSV and synthetic loaders drop the last
 * partial batch. Inconsistencies (a batch larger than an epoch, warmup past the end, samples that
 * disagree with epochs) come back as errors.
 */
export function computeSchedule(recipe: Recipe): Schedule {
  const { schedule: s, data, hardware: h } = recipe;
  const errors: string[] = [];
  const warnings: string[] = [];
  const gpus = h.nodes * h.gpusPerNode;
  const globalBatch = s.batchPerGpu * gpus;
  let samplesPerEpoch = s.samplesPerEpoch ?? data.samples;
  if (data.kind === 'csv' && s.samplesPerEpoch !== undefined && s.samplesPerEpoch !== data.samples) {
    errors.push(
      `schedule.samplesPerEpoch is ${s.samplesPerEpoch} but a CSV epoch is one pass over its ${data.samples} rows; drop samplesPerEpoch or use webdataset`,
    );
    samplesPerEpoch = data.samples;
  }
  if (data.kind === 'webdataset' && !data.resampled && samplesPerEpoch > data.samples) {
    errors.push(
      `schedule.samplesPerEpoch (${samplesPerEpoch}) exceeds the ${data.samples} samples in the shards, and data.resampled is false; set resampled: true or lower samplesPerEpoch`,
    );
  }
  let epochs: number;
  if (s.samples !== undefined) {
    epochs = Math.ceil(s.samples / samplesPerEpoch);
    if (s.epochs !== undefined && s.epochs !== epochs) {
      errors.push(
        `schedule.samples ${s.samples} at ${samplesPerEpoch} samples per epoch is ${epochs} epochs, but schedule.epochs is ${s.epochs}; give one of them`,
      );
    }
    if (s.samples % samplesPerEpoch !== 0)
      warnings.push(
        `schedule.samples ${s.samples} is not a whole number of ${samplesPerEpoch}-sample epochs: rounded up to ${epochs} epochs (${epochs * samplesPerEpoch} samples)`,
      );
  } else if (s.epochs !== undefined) {
    epochs = s.epochs;
  } else {
    errors.push('schedule needs samples (total samples seen) or epochs');
    epochs = 1;
  }
  let stepsPerEpoch: number;
  if (data.kind === 'webdataset') {
    const workers = Math.max(1, s.workers);
    stepsPerEpoch = Math.ceil(Math.ceil(samplesPerEpoch / globalBatch) / workers) * workers;
  } else {
    stepsPerEpoch = Math.floor(samplesPerEpoch / globalBatch);
  }
  if (globalBatch > samplesPerEpoch) {
    errors.push(
      `global batch ${globalBatch} (${s.batchPerGpu} per GPU x ${gpus} GPUs) is larger than an epoch of ${samplesPerEpoch} samples; lower schedule.batchPerGpu or the GPU count, or add data`,
    );
    stepsPerEpoch = Math.max(stepsPerEpoch, 0);
  }
  const totalSteps = stepsPerEpoch * epochs;
  if (totalSteps > 0 && s.warmup >= totalSteps) {
    errors.push(
      `warmup of ${s.warmup} steps is not shorter than the whole run (${totalSteps} steps); lower schedule.warmup`,
    );
  }
  return {
    gpus,
    globalBatch,
    samplesPerEpoch,
    epochs,
    stepsPerEpoch,
    totalSteps,
    totalSamples: totalSteps * globalBatch,
    errors,
    warnings,
  };
}
