import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ValidateError } from './errors.js';
import type { Precision } from './profiles.js';
import { readReference, type Reference, type Tower } from './reference.js';
import { runOnnxTower } from './run-onnx.js';
import { MAX_CONFIG_FILE_BYTES, readSmallTextFile } from '@cliphub/core';

export type ArtifactKind = 'onnx' | 'embeddings' | 'checkpoint';

/** A candidate's embeddings for the reference's inputs; a tower the artifact lacks is null. */
export interface Candidate {
  kind: ArtifactKind;
  path: string;
  /** e.g. "onnx dir" or "embeddings cuda_fp16-autocast". */
  label: string;
  precision: Precision;
  image: Float32Array | null;
  text: Float32Array | null;
  /** The artifact's outputs end in L2 normalization (cliphub.json normalize: true). */
  normalized: boolean;
  /** Activations the artifact declares (cliphub.json), e.g. { vision: 'gelu', text: 'quick_gelu' }. */
  activation: { vision?: string; text?: string } | null;
  notes: string[];
}

/** Exports a checkpoint dir to ONNX; injected so this package works before/without the exporter. */
export type CheckpointExporter = (dir: string, outDir: string) => Promise<{ precision: Precision }>;

export interface LoadArtifactOptions {
  /** Needed for checkpoint dirs (exported on the fly). */
  exportCheckpoint?: CheckpointExporter;
  /** Scratch dir for an on-the-fly export. */
  workDir?: string;
}

/** The precision a `<device>_<mode>` name or a dtype string stands for. */
export function precisionOf(label: string): Precision {
  const s = label.toLowerCase();
  if (/bf16|bfloat16/.test(s)) return 'bf16';
  if (/fp16|float16|half/.test(s)) return 'fp16';
  if (/int8|q8|quant/.test(s)) return 'int8';
  return 'fp32';
}

function sameInputs(ref: Reference, cand: Reference): boolean {
  const eq = <T extends ArrayLike<number | bigint>>(a: T | null, b: T | null): boolean => {
    if (!a || !b || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  };
  return eq(ref.pixelValues, cand.pixelValues) && eq(ref.inputIds, cand.inputIds);
}

async function loadEmbeddings(spec: string, ref: Reference): Promise<Candidate> {
  // FILE#SET picks one `<device>_<mode>`; without it the file must hold exactly one set.
  const hash = spec.lastIndexOf('#');
  const file = hash > 0 && !existsSync(spec) ? spec.slice(0, hash) : spec;
  const wanted = file === spec ? null : spec.slice(hash + 1);
  const cand = await readReference(file, { requireInputs: false });
  if (cand.pixelValues && !sameInputs(ref, cand)) {
    throw new ValidateError(
      'INPUT_MISMATCH',
      `${file} was computed on different inputs than ${ref.path}; run the candidate on the reference's inputs.* tensors`,
    );
  }
  let key = wanted;
  if (!key) {
    if (cand.sets.size !== 1) {
      throw new ValidateError(
        'BAD_ARTIFACT',
        `${file} holds ${cand.sets.size} embedding sets (${[...cand.sets.keys()].join(', ')}); pick one as ${file}#SET`,
      );
    }
    key = [...cand.sets.keys()][0] as string;
  }
  const set = cand.sets.get(key);
  if (!set)
    throw new ValidateError(
      'UNKNOWN_SET',
      `${file} has no '${key}' embeddings; it has ${[...cand.sets.keys()].join(', ')}`,
    );
  if (cand.n !== ref.n)
    throw new ValidateError('DIM_MISMATCH', `${file} has ${cand.n} samples but the reference has ${ref.n}`);
  if (cand.embedDim !== ref.embedDim) {
    throw new ValidateError(
      'DIM_MISMATCH',
      `${file} embeddings are ${cand.embedDim}-dimensional but the reference's are ${ref.embedDim}; they are different models`,
    );
  }
  return {
    kind: 'embeddings',
    path: file,
    label: `embeddings ${key}`,
    precision: precisionOf(key),
    image: set.image,
    text: set.text,
    normalized: false,
    activation: null,
    notes: [],
  };
}

interface ManifestFacts {
  precision: Precision;
  normalized: boolean;
  activation: Candidate['activation'];
}

/** What cliphub.json (written by cliphub's ONNX export) says about the graphs; defaults when absent. */
function readManifest(dir: string, notes: string[]): ManifestFacts {
  const facts: ManifestFacts = { precision: 'fp32', normalized: false, activation: null };
  const meta = path.join(dir, 'cliphub.json');
  if (!existsSync(meta)) {
    notes.push('no cliphub.json: precision assumed fp32, outputs assumed unnormalized');
    return facts;
  }
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(readSmallTextFile(meta, MAX_CONFIG_FILE_BYTES, 'cliphub.json')) as Record<string, unknown>;
  } catch {
    notes.push('cliphub.json is not a readable JSON file: precision assumed fp32');
    return facts;
  }
  if (typeof j.dtype === 'string') facts.precision = precisionOf(j.dtype);
  else notes.push('cliphub.json names no dtype: precision assumed fp32');
  facts.normalized = j.normalize === true;
  const act = j.activation as Record<string, unknown> | undefined;
  if (act && typeof act === 'object') {
    facts.activation = {};
    for (const t of ['vision', 'text'] as const) if (typeof act[t] === 'string') facts.activation[t] = act[t] as string;
  }
  return facts;
}

async function runOnnxDir(dir: string, ref: Reference, kind: ArtifactKind, precision?: Precision): Promise<Candidate> {
  if (!ref.pixelValues || !ref.inputIds || !ref.imageShape || ref.contextLength === null) {
    throw new ValidateError('MISSING_KEY', `${ref.path} has no inputs.* tensors to run ${dir} on`);
  }
  const notes: string[] = [];
  const out: Record<Tower, Float32Array | null> = { image: null, text: null };
  const towers = [
    {
      tower: 'image' as const,
      file: 'vision.onnx',
      input: { name: 'pixel_values' as const, data: ref.pixelValues, shape: [ref.n, ...ref.imageShape] },
      output: 'image_embeds',
    },
    {
      tower: 'text' as const,
      file: 'text.onnx',
      input: { name: 'input_ids' as const, data: ref.inputIds, shape: [ref.n, ref.contextLength] },
      output: 'text_embeds',
    },
  ];
  for (const t of towers) {
    const file = path.join(dir, t.file);
    if (!existsSync(file)) {
      notes.push(`${t.file} absent: ${t.tower} tower not checked`);
      continue;
    }
    const r = await runOnnxTower(file, t.input, t.output);
    if (r.shape.length !== 2 || r.shape[0] !== ref.n || r.shape[1] !== ref.embedDim) {
      throw new ValidateError(
        'DIM_MISMATCH',
        `${file} gives ${t.output} of shape [${r.shape.join(', ')}] but the reference has [${ref.n}, ${ref.embedDim}]; the artifact's embed dim differs from the reference model's`,
      );
    }
    out[t.tower] = r.data;
  }
  if (!out.image && !out.text)
    throw new ValidateError('BAD_ARTIFACT', `${dir} has neither vision.onnx nor text.onnx; pass an ONNX export dir`);
  const facts =
    kind === 'onnx'
      ? readManifest(dir, notes)
      : { precision: precision ?? 'fp32', normalized: false, activation: null };
  return {
    kind,
    path: dir,
    label: kind === 'onnx' ? 'onnx dir' : 'checkpoint (exported to ONNX)',
    ...facts,
    ...out,
    notes,
  };
}

/**
 * Produces the candidate's embeddings for the reference inputs from any supported artifact: an ONNX dir
 * (vision.onnx / text.onnx), an embeddings file in the reference format (FILE or FILE#SET), or a
 * checkpoint dir (open_clip_config.json + weights) exported on the fly.
 */
export async function loadArtifact(
  spec: string,
  ref: Reference,
  options: LoadArtifactOptions = {},
): Promise<Candidate> {
  const plain = existsSync(spec) ? spec : spec.replace(/#[^#/]*$/, '');
  if (!existsSync(plain))
    throw new ValidateError(
      'NOT_FOUND',
      `artifact ${spec} does not exist; pass an ONNX dir, an embeddings .safetensors or a checkpoint dir`,
    );
  if (statSync(plain).isFile()) {
    if (!plain.endsWith('.safetensors'))
      throw new ValidateError(
        'BAD_ARTIFACT',
        `artifact ${plain} is a file but not .safetensors; pass an ONNX dir, a checkpoint dir or an embeddings file`,
      );
    return loadEmbeddings(spec, ref);
  }
  if (existsSync(path.join(plain, 'vision.onnx')) || existsSync(path.join(plain, 'text.onnx')))
    return runOnnxDir(plain, ref, 'onnx');
  if (existsSync(path.join(plain, 'open_clip_config.json'))) {
    if (!options.exportCheckpoint || !options.workDir) {
      throw new ValidateError(
        'EXPORT_UNAVAILABLE',
        `${plain} is a checkpoint dir, which needs the ONNX exporter; export it first (cliphub export) and pass the ONNX dir`,
      );
    }
    const { precision } = await options.exportCheckpoint(plain, options.workDir);
    try {
      return { ...(await runOnnxDir(options.workDir, ref, 'checkpoint', precision)), path: plain };
    } catch (err) {
      // Name the user's checkpoint, not the scratch dir it was exported to.
      if (err instanceof ValidateError)
        throw new ValidateError(
          err.code,
          err.message.split(`${options.workDir}${path.sep}`).join(`${plain}: exported `),
          { cause: err },
        );
      throw err;
    }
  }
  throw new ValidateError(
    'BAD_ARTIFACT',
    `${plain} holds no vision.onnx/text.onnx and no open_clip_config.json; pass an ONNX dir, a checkpoint dir or an embeddings file`,
  );
}
