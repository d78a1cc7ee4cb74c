import { openSafetensors, type SafetensorsFile, type TensorInfo } from '@cliphub/safetensors';
import { asValidateError, ValidateError } from './errors.js';
import { f32View, fmtShape, i64View } from './tensors.js';

export type Tower = 'image' | 'text';
export const TOWERS: readonly Tower[] = ['image', 'text'];

/** One `<device>_<mode>` pair of embeddings, row-major [n, dim]. */
export interface EmbeddingSet {
  image: Float32Array;
  text: Float32Array;
}

export interface ReferenceMetadata {
  modelName: string | null;
  modelCfg: Record<string, unknown> | null;
  texts: string[] | null;
  /** Every __metadata__ entry as stored (versions, device, tokenizer...). */
  raw: Record<string, string>;
}

/** A validated reference-format file (see docs/reference-format.md). */
export interface Reference {
  path: string;
  /** Number of samples (rows of every tensor). */
  n: number;
  embedDim: number;
  /** [3, H, W] of inputs.pixel_values; null when the file has no inputs (a bare candidate file). */
  imageShape: [number, number, number] | null;
  contextLength: number | null;
  pixelValues: Float32Array | null;
  inputIds: BigInt64Array | null;
  /** Keyed by `<device>_<mode>`, in file order. */
  sets: Map<string, EmbeddingSet>;
  /** The raw parameter: the logit multiplier is exp(logitScale). */
  logitScale: number | null;
  logitBias: number | null;
  metadata: ReferenceMetadata;
}

export interface ReadReferenceOptions {
  /** A reference needs its inputs and logit_scale; a candidate embeddings file may omit them. */
  requireInputs?: boolean;
}

const EMBED_KEY = /^(.+)\.(image_embeds|text_embeds)$/;

function fail(code: ConstructorParameters<typeof ValidateError>[0], path: string, msg: string): never {
  throw new ValidateError(code, `${path}: ${msg}`);
}

function expectTensor(
  path: string,
  tensors: Map<string, TensorInfo>,
  name: string,
  dtype: string,
  rank: number,
  fix: string,
): TensorInfo {
  const t = tensors.get(name);
  if (!t) fail('MISSING_KEY', path, `missing tensor '${name}'; ${fix}`);
  if (t.dtype !== dtype) fail('BAD_DTYPE', path, `tensor '${name}' is ${t.dtype}, expected ${dtype}; ${fix}`);
  if (t.shape.length !== rank)
    fail('BAD_SHAPE', path, `tensor '${name}' has shape ${fmtShape(t.shape)}, expected rank ${rank}; ${fix}`);
  return t;
}

function parseJsonMeta(path: string, meta: Record<string, string>, key: string): unknown {
  const text = meta[key];
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    fail(
      'BAD_METADATA',
      path,
      `__metadata__.${key} is not valid JSON; regenerate the file with tools/reference/make_reference.py`,
    );
  }
}

function readMetadata(path: string, raw: Record<string, string>): ReferenceMetadata {
  const cfg = parseJsonMeta(path, raw, 'model_cfg');
  if (cfg !== null && (typeof cfg !== 'object' || Array.isArray(cfg)))
    fail('BAD_METADATA', path, '__metadata__.model_cfg is not a JSON object');
  const texts = parseJsonMeta(path, raw, 'texts');
  if (texts !== null && !(Array.isArray(texts) && texts.every((t) => typeof t === 'string'))) {
    fail('BAD_METADATA', path, '__metadata__.texts is not a JSON array of strings');
  }
  return {
    modelName: raw.model_name ?? null,
    modelCfg: cfg as Record<string, unknown> | null,
    texts: texts as string[] | null,
    raw,
  };
}

async function scalar(file: SafetensorsFile, name: string): Promise<number | null> {
  const t = file.header.tensors.get(name);
  if (!t) return null;
  const numel = t.shape.reduce((a, d) => a * d, 1);
  if (t.dtype !== 'F32') fail('BAD_DTYPE', file.path, `tensor '${name}' is ${t.dtype}, expected F32`);
  if (numel !== 1)
    fail('BAD_SHAPE', file.path, `tensor '${name}' has shape ${fmtShape(t.shape)}, expected one element ([] or [1])`);
  return f32View(await file.readTensor(name))[0] as number;
}

/** Checks the model_cfg in the metadata against the tensors, so a stale or mixed-up file is caught. */
function crossCheckCfg(ref: Reference): void {
  const cfg = ref.metadata.modelCfg;
  if (!cfg) return;
  if (typeof cfg.embed_dim === 'number' && cfg.embed_dim !== ref.embedDim) {
    fail(
      'BAD_SHAPE',
      ref.path,
      `embeddings are ${ref.embedDim}-dimensional but model_cfg.embed_dim is ${cfg.embed_dim}; the metadata belongs to another model`,
    );
  }
  const text = cfg.text_cfg as Record<string, unknown> | undefined;
  if (
    ref.contextLength !== null &&
    typeof text?.context_length === 'number' &&
    text.context_length !== ref.contextLength
  ) {
    fail(
      'BAD_SHAPE',
      ref.path,
      `inputs.input_ids has context ${ref.contextLength} but model_cfg.text_cfg.context_length is ${text.context_length}`,
    );
  }
}

/**
 * Reads and validates a file in the reference format: inputs, `<device>_<mode>.{image,text}_embeds`,
 * logit_scale/logit_bias and metadata. Every inconsistency is a ValidateError naming the key.
 */
export async function readReference(path: string, options: ReadReferenceOptions = {}): Promise<Reference> {
  const requireInputs = options.requireInputs ?? true;
  let file: SafetensorsFile;
  try {
    file = await openSafetensors(path);
  } catch (err) {
    throw asValidateError(err, 'BAD_REFERENCE', `cannot read reference ${path}`);
  }
  try {
    const tensors = file.header.tensors;
    const fix = 'regenerate it with tools/reference/make_reference.py (format: docs/reference-format.md)';
    let n: number | null = null;
    let imageShape: Reference['imageShape'] = null;
    let contextLength: number | null = null;
    let pixelValues: Float32Array | null = null;
    let inputIds: BigInt64Array | null = null;
    const hasInputs = tensors.has('inputs.pixel_values') || tensors.has('inputs.input_ids');
    if (requireInputs || hasInputs) {
      const pv = expectTensor(path, tensors, 'inputs.pixel_values', 'F32', 4, fix);
      const ids = expectTensor(path, tensors, 'inputs.input_ids', 'I64', 2, fix);
      if (pv.shape[1] !== 3)
        fail('BAD_SHAPE', path, `inputs.pixel_values has shape ${fmtShape(pv.shape)}; expected [N, 3, H, W]`);
      if (pv.shape[0] !== ids.shape[0]) {
        fail(
          'BAD_SHAPE',
          path,
          `inputs.pixel_values has ${pv.shape[0]} samples but inputs.input_ids has ${ids.shape[0]}; both need the same N`,
        );
      }
      n = pv.shape[0] as number;
      imageShape = [3, pv.shape[2] as number, pv.shape[3] as number];
      contextLength = ids.shape[1] as number;
      pixelValues = f32View(await file.readTensor('inputs.pixel_values'));
      inputIds = i64View(await file.readTensor('inputs.input_ids'));
    }

    // Group `<set>.image_embeds` / `<set>.text_embeds`; each set needs both, all of one shape.
    const found = new Set<string>();
    for (const name of tensors.keys()) {
      const m = EMBED_KEY.exec(name);
      if (!m || name.startsWith('inputs.')) continue;
      found.add(m[1] as string);
    }
    if (!found.size)
      fail(
        'MISSING_KEY',
        path,
        `no '<device>_<mode>.image_embeds' / '.text_embeds' tensors (e.g. cpu_fp32.image_embeds); ${fix}`,
      );
    let embedDim: number | null = null;
    const sets = new Map<string, EmbeddingSet>();
    for (const key of found) {
      const out: Partial<EmbeddingSet> = {};
      for (const tower of ['image', 'text'] as const) {
        const name = `${key}.${tower}_embeds`;
        const t = expectTensor(path, tensors, name, 'F32', 2, fix);
        n ??= t.shape[0] as number;
        embedDim ??= t.shape[1] as number;
        if (t.shape[0] !== n)
          fail('BAD_SHAPE', path, `tensor '${name}' has ${t.shape[0]} rows but the inputs have ${n} samples`);
        if (t.shape[1] !== embedDim)
          fail(
            'BAD_SHAPE',
            path,
            `tensor '${name}' has shape ${fmtShape(t.shape)} but other embeddings are ${embedDim}-dimensional`,
          );
        out[tower] = f32View(await file.readTensor(name));
      }
      sets.set(key, out as EmbeddingSet);
    }
    const logitScale = await scalar(file, 'logit_scale');
    if (requireInputs && logitScale === null) fail('MISSING_KEY', path, `missing tensor 'logit_scale'; ${fix}`);
    const ref: Reference = {
      path,
      n: n as number,
      embedDim: embedDim as number,
      imageShape,
      contextLength,
      pixelValues,
      inputIds,
      sets,
      logitScale,
      logitBias: await scalar(file, 'logit_bias'),
      metadata: readMetadata(path, file.header.metadata ?? {}),
    };
    crossCheckCfg(ref);
    return ref;
  } finally {
    await file.close();
  }
}

/** The embeddings of one set, or a ValidateError listing the sets the file has. */
export function embeddingSet(ref: Reference, key: string): EmbeddingSet {
  const set = ref.sets.get(key);
  if (!set) {
    throw new ValidateError(
      'UNKNOWN_SET',
      `${ref.path} has no '${key}' embeddings; it has ${[...ref.sets.keys()].join(', ')} (pick one with --against)`,
    );
  }
  return set;
}
