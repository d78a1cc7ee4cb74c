import { existsSync } from 'node:fs';
import path from 'node:path';
import { CliphubError, readSmallTextFile } from '@cliphub/core';
import { knownHfConfig } from '@cliphub/onnx-export';
import { ConvertError } from './errors.js';

/**
 * The config.json values of a Hugging Face text tower (text_cfg.hf_model_name) for the ONNX exporter:
 * `--hf-config FILE` when given, else a config.json beside the checkpoint that names a model_type (of the
 * same model_type as the shipped values, for a tower cliphub knows: a Hub repo's config.json may describe
 * the whole CLIP model instead), else undefined (the exporter then uses the values it ships).
 */
export function hfConfigFor(
  modelCfg: { text_cfg?: Record<string, unknown> },
  checkpoint: string,
  file?: string,
): Record<string, unknown> | undefined {
  if (typeof modelCfg.text_cfg?.hf_model_name !== 'string') {
    if (file)
      throw new ConvertError('BAD_OPTION', `--hf-config ${file} applies to Hugging Face text towers only; drop it`);
    return undefined;
  }
  if (file) {
    const cfg = readJson(file);
    if (!cfg) throw new ConvertError('BAD_HF_CONFIG', `--hf-config ${file} is not a readable JSON object`);
    if (typeof cfg.model_type !== 'string')
      throw new ConvertError('BAD_HF_CONFIG', `--hf-config ${file} has no model_type; pass the model's config.json`);
    return cfg;
  }
  const beside = path.join(path.dirname(checkpoint), 'config.json');
  const cfg = existsSync(beside) ? readJson(beside) : null;
  if (!cfg || typeof cfg.model_type !== 'string') return undefined;
  const shipped = knownHfConfig(modelCfg.text_cfg.hf_model_name);
  return !shipped || shipped.model_type === cfg.model_type ? cfg : undefined;
}

/** A Hub config.json is a few KiB; anything far larger is not one and is refused before it is read whole. */
export const MAX_HF_CONFIG_BYTES = 1 << 20;

function readJson(file: string): Record<string, unknown> | null {
  let text: string;
  try {
    text = readSmallTextFile(file, MAX_HF_CONFIG_BYTES, 'Hugging Face config');
  } catch (e) {
    if (e instanceof CliphubError && e.code === 'FILE_TOO_LARGE') throw new ConvertError('BAD_HF_CONFIG', e.message);
    return null;
  }
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
