import { z } from 'zod';

// Schemas for the committed registry/ data and for open_clip_config.json files. Configs stay loose
// (open_clip adds keys between releases) but every key cliphub reads is type-checked.

const triple = z.tuple([z.number(), z.number(), z.number()]);
const imageSize = z.union([
  z.number().int().positive(),
  z.tuple([z.number().int().positive(), z.number().int().positive()]),
]);
const actKwargs = z
  .looseObject({ approximate: z.enum(['none', 'tanh']).optional() })
  .nullable()
  .optional();

export const visionCfgSchema = z.looseObject({
  image_size: imageSize.optional(),
  layers: z
    .union([z.number().int().positive(), z.array(z.number().int().positive()).length(4)])
    .nullable()
    .optional(),
  width: z.number().int().positive().nullable().optional(),
  head_width: z.number().int().positive().nullable().optional(),
  patch_size: z.number().int().positive().nullable().optional(),
  mlp_ratio: z.number().positive().nullable().optional(),
  timm_model_name: z.string().min(1).nullable().optional(),
  act_kwargs: actKwargs,
});

export const textCfgSchema = z.looseObject({
  context_length: z.number().int().positive().nullable().optional(),
  vocab_size: z.number().int().positive().nullable().optional(),
  width: z.number().int().positive().nullable().optional(),
  heads: z.number().int().positive().nullable().optional(),
  layers: z.number().int().positive().nullable().optional(),
  hf_model_name: z.string().nullable().optional(),
  hf_tokenizer_name: z.string().nullable().optional(),
  tokenizer_mode: z.string().nullable().optional(),
  tokenizer_kwargs: z
    .looseObject({ clean: z.string().nullable().optional(), strip_sep_token: z.boolean().optional() })
    .nullable()
    .optional(),
  act_kwargs: actKwargs,
});

export const modelCfgSchema = z.looseObject({
  embed_dim: z.number().int().positive(),
  vision_cfg: visionCfgSchema,
  text_cfg: textCfgSchema,
  quick_gelu: z.boolean().optional(),
  custom_text: z.boolean().optional(),
  multimodal_cfg: z.looseObject({}).optional(),
});

/** The keys of open_clip's PreprocessCfg that a config file may set (others are ignored, as open_clip does). */
export const preprocessOverlaySchema = z.looseObject({
  size: imageSize.nullable().optional(),
  mode: z.literal('RGB').nullable().optional(),
  mean: triple.nullable().optional(),
  std: triple.nullable().optional(),
  interpolation: z.enum(['bicubic', 'bilinear', 'random']).nullable().optional(),
  resize_mode: z.enum(['shortest', 'longest', 'squash']).nullable().optional(),
  fill_color: z.number().int().nullable().optional(),
});

/** open_clip_config.json as push_to_hf_hub writes it. */
export const openClipConfigSchema = z.looseObject({
  model_cfg: modelCfgSchema,
  preprocess_cfg: preprocessOverlaySchema.optional(),
});

const source = z.object({ upstream: z.string(), files: z.array(z.string()) });
const num = z.number().nullable();

export const architecturesFileSchema = z.object({
  schemaVersion: z.literal(1),
  source,
  architectures: z.record(
    z.string(),
    z.object({
      config: modelCfgSchema,
      profile: z
        .object({
          imageSize: num,
          imageWidth: num,
          textWidth: num,
          embedDim: num,
          mparams: num,
          imageMparams: num,
          textMparams: num,
          gflops: num,
          imageGflops: num,
          textGflops: num,
        })
        .nullable(),
    }),
  ),
});

export const pretrainedEntrySchema = z.object({
  arch: z.string().min(1),
  tag: z.string().regex(/^[a-z0-9_]+$/, 'tags are lower-case with underscores, as open_clip cleans them'),
  hfHub: z.object({ repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/), file: z.string().min(1).nullable() }).nullable(),
  url: z.url().nullable(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{8,64}$/)
    .nullable(),
  mean: triple,
  std: triple,
  interpolation: z.enum(['bicubic', 'bilinear', 'random']),
  resizeMode: z.enum(['shortest', 'longest', 'squash']),
  quickGelu: z.boolean().optional(),
  results: z.object({ imagenet1k: num, avg38: num, mparams: num, gflops: num }).nullable(),
});

export const pretrainedFileSchema = z.object({
  schemaVersion: z.literal(1),
  source,
  entries: z.array(pretrainedEntrySchema),
});

const activation = z.enum(['quick_gelu', 'gelu', 'gelu_tanh', 'relu', 'silu']);
export const towersFileSchema = z.object({
  schemaVersion: z.literal(1),
  source: z.object({ timm: z.string(), hf: z.string() }),
  timm: z.record(z.string(), z.object({ activation, counts: z.record(z.string(), z.number().int().positive()) })),
  hf: z.record(z.string(), z.object({ modelType: z.string(), activation, configKey: z.string(), check: z.string() })),
});

/** The user registry file (models.json under $CLIPHUB_HOME or ~/.cliphub). */
export const userRegistrySchema = z.object({
  schemaVersion: z.literal(1),
  models: z.array(
    z.object({
      name: z.string().min(1),
      path: z.string().min(1),
      addedAt: z.string(),
      config: openClipConfigSchema,
    }),
  ),
});

export type ArchitecturesFile = z.infer<typeof architecturesFileSchema>;
export type PretrainedFileEntry = z.infer<typeof pretrainedEntrySchema>;
export type PretrainedFile = z.infer<typeof pretrainedFileSchema>;
export type TowersFile = z.infer<typeof towersFileSchema>;
export type UserRegistryFile = z.infer<typeof userRegistrySchema>;
export type OpenClipConfig = z.infer<typeof openClipConfigSchema>;

/** One line naming the first few schema problems, for error messages. */
export function describeIssues(error: z.ZodError, max = 3): string {
  return error.issues
    .slice(0, max)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
