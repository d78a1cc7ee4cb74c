import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@cliphub/core';
import { RuntimeError } from './errors.js';

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

/** Checks a parsed cliphub.json field by field; the first problem becomes a MANIFEST_INVALID naming the field. */
export function validateManifest(value: Json, file = MANIFEST_FILE): CliphubManifest {
  const bad = (what: string): never => {
    throw new RuntimeError(
      'MANIFEST_INVALID',
      `${file}: ${what}; re-create it with \`cliphub convert --to onnx\``,
      file,
    );
  };
  const isObj = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const num = (v: Json, field: string, pred: (n: number) => boolean = Number.isFinite): number =>
    typeof v === 'number' && pred(v) ? v : bad(`${field} must be a valid number, got ${JSON.stringify(v)}`);
  const str = (v: Json, field: string): string =>
    typeof v === 'string' && v !== '' ? v : bad(`${field} must be a non-empty string`);
  const oneOf = <T extends string>(v: Json, field: string, options: readonly T[]): T =>
    options.includes(v as T)
      ? (v as T)
      : bad(`${field} must be one of ${options.join(', ')}, got ${JSON.stringify(v)}`);
  const triple = (v: Json, field: string): [number, number, number] =>
    Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x))
      ? (v as [number, number, number])
      : bad(`${field} must be 3 numbers`);
  const posInt = (n: number): boolean => Number.isInteger(n) && n > 0;

  if (!isObj(value)) return bad('not a JSON object');
  if (value.format !== 'cliphub-onnx') bad(`format must be "cliphub-onnx", got ${JSON.stringify(value.format)}`);
  if (value.version !== 1)
    bad(`version ${JSON.stringify(value.version)} is not supported (this runtime reads version 1); upgrade cliphub`);

  const source = isObj(value.source) ? value.source : bad('source must be an object {path, sha256}');
  str(source.path, 'source.path');
  if (typeof source.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(source.sha256))
    bad('source.sha256 must be 64 lowercase hex digits');

  const modelCfg = isObj(value.modelCfg) ? value.modelCfg : bad('modelCfg must be an object');
  num(modelCfg.embed_dim, 'modelCfg.embed_dim', posInt);
  if (!isObj(modelCfg.vision_cfg) || !isObj(modelCfg.text_cfg)) bad('modelCfg needs vision_cfg and text_cfg objects');

  const pp = isObj(value.preprocessCfg) ? value.preprocessCfg : bad('preprocessCfg must be an object');
  const size = pp.size;
  if (
    !(typeof size === 'number' && posInt(size)) &&
    !(Array.isArray(size) && size.length === 2 && size.every((d) => typeof d === 'number' && posInt(d)))
  ) {
    bad(`preprocessCfg.size must be a positive integer or [h, w], got ${JSON.stringify(size)}`);
  }
  triple(pp.mean, 'preprocessCfg.mean');
  if (triple(pp.std, 'preprocessCfg.std').some((s) => !(s > 0))) bad('preprocessCfg.std values must be > 0');
  oneOf(pp.interpolation, 'preprocessCfg.interpolation', ['bicubic', 'bilinear'] as const);
  oneOf(pp.resize_mode, 'preprocessCfg.resize_mode', ['shortest', 'longest', 'squash'] as const);
  num(pp.fill_color, 'preprocessCfg.fill_color', (n) => Number.isInteger(n) && n >= 0 && n <= 255);

  const tok = isObj(value.tokenizer) ? value.tokenizer : bad('tokenizer must be an object');
  const kind = oneOf(tok.kind, 'tokenizer.kind', ['simple', 'hf'] as const);
  if (kind === 'hf') str(tok.name, 'tokenizer.name');
  num(tok.contextLength, 'tokenizer.contextLength', (n) => Number.isInteger(n) && n >= 2);
  num(tok.vocabSize, 'tokenizer.vocabSize', posInt);

  if (!isObj(value.activation)) bad('activation must be an object {vision, text}');
  num(value.opset, 'opset', posInt);
  oneOf(value.dtype, 'dtype', ['fp32', 'fp16', 'int8'] as const);
  if (typeof value.normalize !== 'boolean') bad('normalize must be true or false');

  const towers = isObj(value.towers) ? value.towers : bad('towers must be an object');
  for (const [name, t] of Object.entries(towers)) {
    if (name !== 'vision' && name !== 'text') bad(`towers.${name} is not a tower (vision, text)`);
    if (!isObj(t)) return bad(`towers.${name} must be an object`);
    const f = str(t.file, `towers.${name}.file`);
    if (path.isAbsolute(f) || f.split(/[\\/]/).includes('..'))
      bad(`towers.${name}.file ${JSON.stringify(f)} must be a path inside the model dir`);
    for (const side of ['inputs', 'outputs'] as const) {
      const specs = t[side];
      if (!Array.isArray(specs) || specs.length === 0) bad(`towers.${name}.${side} must be a non-empty list`);
      (specs as Json[]).forEach((s, i) => {
        const at = `towers.${name}.${side}[${i}]`;
        if (!isObj(s)) return bad(`${at} must be an object {name, dtype, shape}`);
        str(s.name, `${at}.name`);
        str(s.dtype, `${at}.dtype`);
        if (
          !Array.isArray(s.shape) ||
          !s.shape.every((d) => typeof d === 'string' || (typeof d === 'number' && Number.isInteger(d) && d >= 0))
        ) {
          bad(`${at}.shape must be a list of integers or symbolic names`);
        }
      });
    }
  }
  if (!towers.vision && !towers.text) bad('towers lists neither vision nor text');

  const raw = num(value.logitScaleRaw, 'logitScaleRaw');
  const scale = num(value.logitScale, 'logitScale', (n) => Number.isFinite(n) && n > 0);
  // Both are stored so nobody has to guess whether exp() was applied; they must agree.
  if (Math.abs(Math.exp(raw) - scale) > 1e-4 * scale)
    bad(`logitScale ${scale} is not exp(logitScaleRaw) = ${Math.exp(raw)}`);
  if (value.logitBias !== null) num(value.logitBias, 'logitBias');
  if (value.notes !== undefined && !(Array.isArray(value.notes) && value.notes.every((n) => typeof n === 'string')))
    bad('notes must be a list of strings');
  return value as unknown as CliphubManifest;
}

/** Reads and validates `<dir>/cliphub.json`, and checks that every tower file it lists exists. */
export async function readManifest(dir: string): Promise<CliphubManifest> {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new RuntimeError(
        'MANIFEST_MISSING',
        `${file} not found; point --model at a dir made by \`cliphub convert --to onnx\``,
        file,
      );
    }
    throw new RuntimeError(
      'MANIFEST_MISSING',
      `cannot read ${file} (${code ?? (e as Error).message}); check its permissions`,
      file,
    );
  }
  let parsed: Json;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new RuntimeError(
      'MANIFEST_INVALID',
      `${file} is not valid JSON (${(e as Error).message}); re-create it with \`cliphub convert --to onnx\``,
      file,
    );
  }
  const manifest = validateManifest(parsed, file);
  for (const [name, t] of Object.entries(manifest.towers)) {
    const onnx = path.join(dir, t.file);
    if (!existsSync(onnx))
      throw new RuntimeError(
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
