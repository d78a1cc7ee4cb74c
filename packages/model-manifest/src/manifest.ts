import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  MAX_CONFIG_FILE_BYTES,
  readSmallTextFile,
  writeFileAtomic,
  type CliphubError,
  type SmallFileErrorCode,
} from '@cliphub/core';
import { z } from 'zod';
import { ManifestError } from './errors.js';

export const MANIFEST_FILE = 'cliphub.json';

export type TowerName = 'vision' | 'text';

/** One named tensor of an ONNX graph's interface; string dims are symbolic (e.g. "batch"). */
export interface TensorSpec {
  name: string;
  dtype: string;
  shape: (number | string)[];
}

export interface TowerManifest {
  /** the .onnx file, relative to the model dir */
  file: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** open_clip's preprocess_cfg with every default filled in, so the runtime needs no model knowledge. */
export interface ManifestPreprocessCfg {
  size: number | [number, number];
  mean: [number, number, number];
  std: [number, number, number];
  interpolation: 'bicubic' | 'bilinear';
  resize_mode: 'shortest' | 'longest' | 'squash';
  fill_color: number;
}

export interface ManifestTokenizer {
  kind: 'simple' | 'hf';
  /** the Hugging Face tokenizer name (hf_tokenizer_name) for kind 'hf' */
  name?: string;
  contextLength: number;
  vocabSize: number;
}

/** open_clip's model_cfg as found in open_clip_config.json (unknown keys kept). */
export interface ManifestModelCfg {
  embed_dim: number;
  vision_cfg: Record<string, unknown>;
  text_cfg: Record<string, unknown>;
  [key: string]: unknown;
}

/** cliphub.json: what `cliphub convert --to onnx` writes beside vision.onnx / text.onnx. */
export interface CliphubManifest {
  format: 'cliphub-onnx';
  version: 1;
  source: { path: string; sha256: string };
  modelCfg: ManifestModelCfg;
  preprocessCfg: ManifestPreprocessCfg;
  tokenizer: ManifestTokenizer;
  activation: { vision?: string; text?: string };
  opset: number;
  dtype: 'fp32' | 'fp16' | 'int8';
  /** the graphs end in L2 normalization */
  normalize: boolean;
  towers: { vision?: TowerManifest; text?: TowerManifest };
  /** logit_scale as stored in the checkpoint (a log) */
  logitScaleRaw: number;
  /** exp(logitScaleRaw), the multiplier of cosine similarities */
  logitScale: number;
  /** SigLIP-style models add this and use a sigmoid; null for CLIP (softmax) */
  logitBias: number | null;
  /** What the export leaves out of the model or does differently (e.g. CoCa's generative decoder) */
  notes?: string[];
}

type Json = unknown;

const positiveInt = z.number().int().positive();
const triple = z.tuple([z.number(), z.number(), z.number()]);
const tensorSpec = z.object({
  name: z.string().min(1),
  dtype: z.string().min(1),
  shape: z.array(z.union([z.string(), z.number().int().nonnegative()]), {
    error: 'must be a list of integers or symbolic names',
  }),
});
const towerManifest = z.object({
  file: z
    .string()
    .min(1)
    .refine((f) => !path.isAbsolute(f) && !f.split(/[\\/]/).includes('..'), {
      error: (issue) => `${JSON.stringify(issue.input)} must be a path inside the model dir`,
    }),
  inputs: z.array(tensorSpec).min(1),
  outputs: z.array(tensorSpec).min(1),
});

/** cliphub.json's schema (zod): each field's type and range, and the rules between fields. */
const manifestSchema = z
  .object({
    format: z.literal('cliphub-onnx'),
    version: z.literal(1, {
      error: (issue) =>
        `version ${JSON.stringify(issue.input)} is not supported (this runtime reads version 1); upgrade cliphub`,
    }),
    source: z.object({
      path: z.string().min(1),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
    }),
    modelCfg: z.looseObject({
      embed_dim: positiveInt,
      vision_cfg: z.record(z.string(), z.unknown()),
      text_cfg: z.record(z.string(), z.unknown()),
    }),
    preprocessCfg: z.object({
      size: z.union([positiveInt, z.tuple([positiveInt, positiveInt])], {
        error: 'must be a positive integer or [h, w]',
      }),
      mean: triple,
      std: triple.refine((std) => std.every((v) => v > 0), 'values must be > 0'),
      interpolation: z.enum(['bicubic', 'bilinear']),
      resize_mode: z.enum(['shortest', 'longest', 'squash']),
      fill_color: z.number().int().min(0).max(255),
    }),
    tokenizer: z
      .object({
        kind: z.enum(['simple', 'hf']),
        name: z.string().min(1).optional(),
        contextLength: z.number().int().min(2),
        vocabSize: positiveInt,
      })
      .refine((t) => t.kind !== 'hf' || t.name !== undefined, {
        path: ['name'],
        error: 'a Hugging Face tokenizer needs its name',
      }),
    activation: z.object({ vision: z.string().optional(), text: z.string().optional() }),
    opset: positiveInt,
    dtype: z.enum(['fp32', 'fp16', 'int8']),
    normalize: z.boolean(),
    towers: z
      .object({ vision: towerManifest.optional(), text: towerManifest.optional() })
      .strict()
      .refine((t) => t.vision || t.text, 'lists neither vision nor text'),
    logitScaleRaw: z.number(),
    logitScale: z.number().positive(),
    logitBias: z.number().nullable(),
    notes: z
      .array(z.string({ error: 'notes must be a list of strings' }), { error: 'notes must be a list of strings' })
      .optional(),
  })
  // Both are stored so nobody has to guess whether exp() was applied; they must agree.
  .refine((m) => Math.abs(Math.exp(m.logitScaleRaw) - m.logitScale) <= 1e-4 * m.logitScale, {
    path: ['logitScale'],
    error: (issue) => {
      const m = issue.input as { logitScale: number; logitScaleRaw: number };
      return `${m.logitScale} is not exp(logitScaleRaw) = ${Math.exp(m.logitScaleRaw)}`;
    },
  });

/** A zod issue path as a reader writes it: towers.text.inputs[0].shape. */
const fieldPath = (segments: readonly PropertyKey[]): string =>
  segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : `${i ? '.' : ''}${String(s)}`)).join('');

/** Checks a parsed cliphub.json; the first problem becomes a MANIFEST_INVALID naming the field. */
export function validateManifest(value: Json, file = MANIFEST_FILE): CliphubManifest {
  const parsed = manifestSchema.safeParse(value);
  if (parsed.success) return value as CliphubManifest;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length ? `${fieldPath(issue.path)}: ` : '';
  throw new ManifestError(
    'MANIFEST_INVALID',
    `${file}: ${where}${issue.message}; re-create it with \`cliphub convert --to onnx\``,
    file,
  );
}

/** Why cliphub.json could not be read, as the ManifestError a caller shows. */
function unreadableManifest(e: CliphubError<SmallFileErrorCode>, file: string): ManifestError {
  if (e.code === 'FILE_TOO_LARGE')
    return new ManifestError(
      'MANIFEST_INVALID',
      `${e.message.replace(/; [^;]*$/, '')}; re-create it with \`cliphub convert --to onnx\``,
      file,
    );
  const code = (e.cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return new ManifestError(
      'MANIFEST_MISSING',
      `${file} not found; point --model at a dir made by \`cliphub convert --to onnx\``,
      file,
    );
  return new ManifestError(
    'MANIFEST_MISSING',
    `cannot read ${file} (${e.code === 'NOT_A_FILE' ? 'not a regular file' : (code ?? e.message)}); check its permissions`,
    file,
  );
}

/** Reads and validates `<dir>/cliphub.json`, and checks that every tower file it lists exists. */
export async function readManifest(dir: string): Promise<CliphubManifest> {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readSmallTextFile(file, MAX_CONFIG_FILE_BYTES, 'manifest');
  } catch (e) {
    throw unreadableManifest(e as CliphubError<SmallFileErrorCode>, file);
  }
  let parsed: Json;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(
      'MANIFEST_INVALID',
      `${file} is not valid JSON (${(e as Error).message}); re-create it with \`cliphub convert --to onnx\``,
      file,
    );
  }
  const manifest = validateManifest(parsed, file);
  for (const [name, t] of Object.entries(manifest.towers)) {
    const onnx = path.join(dir, t.file);
    if (!existsSync(onnx))
      throw new ManifestError(
        'MANIFEST_INVALID',
        `${onnx} (the ${name} tower named in ${file}) not found; re-run the export`,
        onnx,
      );
  }
  return manifest;
}

/** Validates and writes `<dir>/cliphub.json` atomically and durably (a unique temp file, fsync, rename). */
export async function writeManifest(dir: string, manifest: CliphubManifest): Promise<string> {
  const file = path.join(dir, MANIFEST_FILE);
  validateManifest(JSON.parse(JSON.stringify(manifest)) as Json, file);
  await writeFileAtomic(file, `${JSON.stringify(manifest, null, 2)}\n`);
  return file;
}
