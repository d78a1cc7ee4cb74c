import { MAX_CONFIG_FILE_BYTES, readSmallTextFile } from '@cliphub/core';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { asValidateError, ValidateError } from './errors.js';

export type Precision = 'fp32' | 'fp16' | 'bf16' | 'int8';
export const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'bf16', 'int8'];

/** Limits an artifact must meet against the reference; "min" are lower bounds, "max" upper bounds. */
export interface Thresholds {
  /** Lowest per-sample cosine similarity allowed, per tower. */
  minCosine: number;
  /** Highest per-sample ||Δ|| / ||ref||, per tower. */
  maxRelL2: number;
  /** Highest max|Δ| / max|ref| over a tower. */
  maxAbsRel: number;
  /** Lowest fraction of rows/columns of the similarity matrix whose argmax is unchanged (up to ties within maxCosSimDiff). */
  minArgmaxAgreement: number;
  /** Lowest Spearman rho between reference and candidate similarity matrices (up to ties within maxCosSimDiff). */
  minSpearman: number;
  /** Highest |Δ cosine similarity| over all image-text pairs (= |Δ logit| / exp(logit_scale)). */
  maxCosSimDiff: number;
}

export interface Profile extends Thresholds {
  name: string;
  precision: Precision;
}

export const THRESHOLD_KEYS: readonly (keyof Thresholds)[] = [
  'minCosine',
  'maxRelL2',
  'maxAbsRel',
  'minArgmaxAgreement',
  'minSpearman',
  'maxCosSimDiff',
];

/*
 * Calibrated on ../shared/fixtures/openclip-3.3.0 (H100, open_clip 3.3.0), worst case over tiny-vit-gelu,
 * tiny-vit-quickgelu and ViT-B-32 against cpu_fp32, measured by the metrics of this package:
 *   cuda_fp32            cos >= 1-1.2e-7  relL2 <= 1.3e-6  absRel <= 1.5e-6
 *   cuda_fp16-autocast   cos >= 1-7.2e-7  relL2 <= 1.3e-3  absRel <= 1.2e-3
 *   cuda_fp16-weights    cos >= 1-1.3e-6  relL2 <= 1.6e-3  absRel <= 1.7e-3
 *   cuda_bf16-autocast   cos >= 1-5.5e-5  relL2 <= 1.1e-2  absRel <= 9.5e-3
 * Each limit sits a few times above the worst measured value of its precision (trained weights are
 * rougher than random ones) and below the best value of the next coarser precision, so fp16 output
 * fails fp32 (relL2 7e-4 > 1e-4) and bf16 output fails fp16 (relL2 6e-3 > 5e-3).
 * int8 has no GPU reference; measured instead with @cliphub/onnx-export's int8 (per-channel weights,
 * dynamic activations) on onnxruntime CPU over the six generated tiny fixtures: cos >= 1-7.7e-4,
 * relL2 <= 4.4e-2, absRel <= 3.2e-2, max Δcos-sim <= 2.6e-2; the limits give 3-6x room.
 */
export const DEFAULT_PROFILES: Record<Precision, Profile> = {
  fp32: {
    name: 'fp32',
    precision: 'fp32',
    minCosine: 0.99999,
    maxRelL2: 1e-4,
    maxAbsRel: 1e-4,
    minArgmaxAgreement: 1,
    minSpearman: 0.999,
    maxCosSimDiff: 1e-5,
  },
  fp16: {
    name: 'fp16',
    precision: 'fp16',
    minCosine: 0.99999,
    maxRelL2: 5e-3,
    maxAbsRel: 5e-3,
    minArgmaxAgreement: 1,
    minSpearman: 0.99,
    maxCosSimDiff: 2e-3,
  },
  bf16: {
    name: 'bf16',
    precision: 'bf16',
    minCosine: 0.9995,
    maxRelL2: 3e-2,
    maxAbsRel: 3e-2,
    minArgmaxAgreement: 0.75,
    minSpearman: 0.95,
    maxCosSimDiff: 2e-2,
  },
  int8: {
    name: 'int8',
    precision: 'int8',
    minCosine: 0.995,
    maxRelL2: 0.15,
    maxAbsRel: 0.1,
    minArgmaxAgreement: 0.75,
    minSpearman: 0.9,
    maxCosSimDiff: 0.08,
  },
};

/** Per-profile partial overrides, e.g. `{ fp16: { minCosine: 0.9999 } }`; a new name needs `precision`. */
export type ProfileOverrides = Record<string, Partial<Thresholds> & { precision?: Precision }>;

export function isPrecision(x: unknown): x is Precision {
  return typeof x === 'string' && (PRECISIONS as readonly string[]).includes(x);
}

/** A limit from a profile file: finite (zod's number refuses NaN and Infinity) and not negative. */
const limitSchema = z.number().min(0).optional();

/** One profile's overrides; unknown keys are refused so a misspelt limit never passes silently. */
const profileOverrideSchema = z.strictObject({
  precision: z.enum(PRECISIONS).optional(),
  minCosine: limitSchema,
  maxRelL2: limitSchema,
  maxAbsRel: limitSchema,
  minArgmaxAgreement: limitSchema,
  minSpearman: limitSchema,
  maxCosSimDiff: limitSchema,
}) satisfies z.ZodType<ProfileOverrides[string]>;

/** Profile name → overrides, optionally under a `profiles:` key; a new name must say which precision it starts from. */
const profileOverridesSchema = z.preprocess(
  (value) => (typeof value === 'object' && value !== null && 'profiles' in value ? (value.profiles ?? value) : value),
  z.record(z.string(), profileOverrideSchema).superRefine((profiles, ctx) => {
    for (const [name, entry] of Object.entries(profiles))
      if (!isPrecision(name) && !entry.precision)
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `new profile '${name}' needs a precision (${PRECISIONS.join(', ')}) to start from`,
        });
  }),
);

/** The first zod issue in the words of a profile file's author: which profile, which key, what is allowed. */
function describeProfileIssue(issue: z.core.$ZodIssue): string {
  const [name, key] = issue.path.map(String);
  if (name === undefined) return 'profile overrides must be a mapping of profile name to thresholds';
  if (issue.code === 'custom') return issue.message;
  if (issue.code === 'unrecognized_keys')
    return `profile '${name}' has unknown key '${issue.keys[0]}'; known keys: precision, ${THRESHOLD_KEYS.join(', ')}`;
  if (key === undefined) return `profile '${name}' must be a mapping of thresholds`;
  if (key === 'precision') return `profile '${name}'.precision must be one of ${PRECISIONS.join(', ')}`;
  return `profile '${name}'.${key} must be a non-negative number, got ${JSON.stringify(issue.input)}`;
}

/** Checks an override object (from JSON or YAML) and returns it typed; bad keys and values are named. */
export function parseProfileOverrides(value: unknown, where: string): ProfileOverrides {
  if (value === null || value === undefined) return {};
  const parsed = profileOverridesSchema.safeParse(value, { reportInput: true });
  if (!parsed.success)
    throw new ValidateError('BAD_PROFILE', `${where}: ${describeProfileIssue(parsed.error.issues[0]!)}`);
  return parsed.data;
}

/** Reads profile overrides from a .json, .yaml or .yml file. */
export async function loadProfileOverrides(path: string): Promise<ProfileOverrides> {
  let text: string;
  try {
    text = readSmallTextFile(path, MAX_CONFIG_FILE_BYTES, 'profile');
  } catch (err) {
    throw asValidateError(err, 'BAD_PROFILE', `cannot read profile file ${path}`);
  }
  let value: unknown;
  try {
    value = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new ValidateError(
      'BAD_PROFILE',
      `${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  return parseProfileOverrides(value, path);
}

/**
 * The profile to judge by: a named one (built in or from overrides), or with 'auto' the one for the
 * artifact's precision. Overrides are applied on top of the built-in values.
 */
export function resolveProfile(name: string, artifactPrecision: Precision, overrides: ProfileOverrides = {}): Profile {
  const key = name === 'auto' ? artifactPrecision : name;
  const over = overrides[key];
  const basePrecision = isPrecision(key) ? key : over?.precision;
  if (!basePrecision) {
    const known = [...new Set([...PRECISIONS, ...Object.keys(overrides)])];
    throw new ValidateError('BAD_PROFILE', `unknown profile '${name}'; use auto or one of ${known.join(', ')}`);
  }
  const { precision, ...limits } = over ?? {};
  return { ...DEFAULT_PROFILES[basePrecision], ...limits, name: key, precision: precision ?? basePrecision };
}
