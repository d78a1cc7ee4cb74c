import { existsSync } from 'node:fs';
import path from 'node:path';
import { readSmallTextFile } from '@cliphub/core';
import { DTYPE_SUFFIX, LAYOUT_DTYPES, type LayoutDtype } from './convert-to-transformers-js.js';

const MAX_LAYOUT_CONFIG_BYTES = 1024 * 1024;
const REQUIRED = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'open_clip_config.json'];

/**
 * A folder written by convertToTransformersJs, or null: its configs and tokenizer are there, and the variants
 * (dtypes) whose three graphs all are. `modelType` is config.json's (siglip models are called differently).
 */
export function readTransformersJsLayout(dir: string): { dtypes: LayoutDtype[]; modelType: 'clip' | 'siglip' } | null {
  if (!REQUIRED.every((f) => existsSync(path.join(dir, f)))) return null;
  const configFile = path.join(dir, 'config.json');
  let modelType: unknown;
  try {
    // a config.json this converter writes is a few KB; a larger one (or a FIFO) is not its layout
    const text = readSmallTextFile(configFile, MAX_LAYOUT_CONFIG_BYTES, 'config.json');
    modelType = (JSON.parse(text) as { model_type?: unknown }).model_type;
  } catch {
    return null;
  }
  if (modelType !== 'clip' && modelType !== 'siglip') return null;
  const dtypes = LAYOUT_DTYPES.filter((d) =>
    ['text_model', 'vision_model', 'model'].every((g) =>
      existsSync(path.join(dir, 'onnx', `${g}${DTYPE_SUFFIX[d]}.onnx`)),
    ),
  );
  return dtypes.length ? { dtypes, modelType } : null;
}
