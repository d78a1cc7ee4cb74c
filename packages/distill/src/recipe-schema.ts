import { z } from 'zod';

// Recipe text reaches launch.sh (always shell-quoted), its comments, #SBATCH directives and the argument file, and
// recipes are shared between teams: no string may carry a line break or any other control character (C0, DEL, C1,
// U+2028/2029, and the bidi overrides that make a line read differently than it runs).
const CONTROL = '\\p{Cc}\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
const NO_CONTROL = new RegExp(`^[^${CONTROL}]*$`, 'u');
const CONTROL_MESSAGE = 'must not contain line breaks or control characters';
const text = (): z.ZodString => z.string().regex(NO_CONTROL, CONTROL_MESSAGE);
// A CSV separator may be a tab (the default); nothing else from the control set.
const separator = z.string().regex(new RegExp(`^(?:\\t|[^${CONTROL}])+$`, 'u'), CONTROL_MESSAGE);
// Slurm time limits: minutes, M:S, H:M:S, D-H, D-H:M, D-H:M:S, or INFINITE/UNLIMITED.
const slurmTime = text().regex(
  /^(?:\d+(?:-\d+)?(?::\d+){0,2}|INFINITE|UNLIMITED)$/i,
  'use a Slurm time such as 72:00:00 or 3-00:00:00',
);
// Slurm partition, account and QOS names (a partition may be a comma-separated list).
const slurmName = text().regex(
  /^[\w.+-]+(?:,[\w.+-]+)*$/,
  'use letters, digits, ".", "_", "+", "-" (and "," between partitions)',
);

const positiveInt = z.number().int().positive();
const count = z.number().int().positive(); // YAML 2_000_000_000 and 13e9 both parse to integers

/** A model: a registry spec, or a custom architecture JSON (open_clip model config) for tiny or new models. */
export const modelRefSchema = z
  .object({
    /** ARCH, ARCH:TAG, hf-hub:ORG/REPO or local-dir:PATH. With `config`, only a display name. */
    model: text().min(1),
    /** A tag of `model`, or a weights file. Absent = random init (student) / the spec's tag. */
    pretrained: text().min(1).optional(),
    /** Path (relative to the recipe) of an open_clip model config JSON, or an open_clip_config.json. */
    config: text().min(1).optional(),
  })
  .strict();

export const studentSchema = modelRefSchema
  .extend({
    /** Explicit preprocessing/tokenizer overrides applied to the student (open_clip_train --image-mean etc.). */
    overrides: z
      .object({
        imageMean: z.tuple([z.number(), z.number(), z.number()]).optional(),
        imageStd: z.tuple([z.number(), z.number(), z.number()]).optional(),
        imageSize: positiveInt.optional(),
        contextLength: positiveInt.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const webdataset = z
  .object({
    kind: z.literal('webdataset'),
    /** Brace-expanded shard patterns; several sources are joined with '::'. */
    shards: z.union([text().min(1), z.array(text().min(1)).min(1)]),
    /** Samples in the data (all sources together). */
    samples: count,
    resampled: z.boolean().default(true),
    upsampling: z.array(z.number().positive()).optional(),
  })
  .strict();
const csv = z
  .object({
    kind: z.literal('csv'),
    path: text().min(1),
    /** Rows in the CSV (open_clip_train counts them itself; cliphub needs them for the schedule). */
    samples: count,
    imgKey: text().default('filepath'),
    captionKey: text().default('title'),
    separator: separator.default('\t'),
  })
  .strict();
const synthetic = z.object({ kind: z.literal('synthetic'), samples: count }).strict();

export const recipeSchema = z
  .object({
    name: text().regex(/^[a-z0-9][a-z0-9._-]*$/, 'names are lower-case letters, digits, ".", "_" and "-"'),
    description: text().min(1),
    /** Where each setting comes from: one line per source. */
    sources: z.array(text().min(1)).min(1),
    teacher: modelRefSchema,
    student: studentSchema,
    data: z.discriminatedUnion('kind', [webdataset, csv, synthetic]),
    val: z
      .object({ shards: text().min(1), samples: count })
      .strict()
      .optional(),
    imagenetVal: text().min(1).optional(),
    schedule: z
      .object({
        /** Total samples seen; or give `epochs`. */
        samples: count.optional(),
        epochs: positiveInt.optional(),
        /** Samples between checkpoints (open_clip's epoch): default, the data's sample count. */
        samplesPerEpoch: count.optional(),
        warmup: z.number().int().nonnegative(),
        lr: z.number().positive(),
        wd: z.number().nonnegative(),
        batchPerGpu: positiveInt,
        precision: z.enum(['amp', 'amp_bf16', 'amp_bfloat16', 'bf16', 'fp16', 'pure_bf16', 'pure_fp16', 'fp32']),
        accumFreq: positiveInt.default(1),
        gradCheckpointing: z.boolean().default(false),
        gradClipNorm: z.number().positive().optional(),
        localLoss: z.boolean().default(true),
        gatherWithGrad: z.boolean().default(true),
        workers: z.number().int().nonnegative().default(8),
        seed: z.number().int().nonnegative().default(0),
      })
      .strict(),
    loss: z.object({ mode: z.enum(['distill', 'distill+contrastive']) }).strict(),
    hardware: z
      .object({
        nodes: positiveInt,
        gpusPerNode: positiveInt,
        gpu: text().min(1),
        /** Overrides the GPU table (GiB, peak dense TFLOP/s at the run's precision, model FLOPs utilisation). */
        memoryGiB: z.number().positive().optional(),
        tflops: z.number().positive().optional(),
        mfu: z.number().positive().max(1).optional(),
        cpusPerNode: positiveInt.optional(),
        /** open_clip_train --device; 'cpu' only for smoke tests. */
        device: z.enum(['cuda', 'cpu']).default('cuda'),
      })
      .strict(),
    launcher: z
      .object({
        kind: z.enum(['torchrun', 'slurm']),
        python: text().default('python'),
        rdzvPort: z.number().int().min(1).max(65535).default(29500),
        env: z.record(text().regex(/^[A-Z_][A-Z0-9_]*$/), text()).default({}),
        slurm: z
          .object({
            partition: slurmName.optional(),
            account: slurmName.optional(),
            qos: slurmName.optional(),
            time: slurmTime.default('72:00:00'),
            cpusPerTask: positiveInt.optional(),
            requeue: z.boolean().default(true),
          })
          .strict()
          .optional(),
      })
      .strict(),
    logging: z
      .object({
        dir: text().min(1),
        name: text().regex(/^[\w.-]+$/, 'a run name is letters, digits, ".", "_" and "-"'),
        reportTo: z.enum(['none', 'tensorboard', 'wandb', 'all']).default('tensorboard'),
        wandbProject: text().optional(),
        logEveryNSteps: positiveInt.default(100),
        saveFrequency: positiveInt.default(1),
        zeroshotFrequency: z.number().int().nonnegative().default(1),
      })
      .strict(),
    /** latest: relaunching the same script continues from epoch_latest.pt; none; or a checkpoint path. */
    resume: z.union([z.enum(['latest', 'none']), text().min(1)]).default('latest'),
    /** Extra open_clip_train arguments, checked against its argument table. */
    extraArgs: z.array(text()).default([]),
  })
  .strict();

export type Recipe = z.infer<typeof recipeSchema>;
export type RecipeInput = z.input<typeof recipeSchema>;
export type ModelRef = z.infer<typeof modelRefSchema>;
export type StudentRef = z.infer<typeof studentSchema>;
