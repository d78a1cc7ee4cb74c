import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DTYPE_SUFFIX, LAYOUT_DTYPES, type LayoutDtype } from './convert-to-transformers-js.js';

const REQUIRED = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'open_clip_config.json'];

/**
 * A folder written by convertToTransformersJs, or null: its configs and tokenizer are there, and the variants
 * (dtypes) whose three graphs all are. `modelType` is config.json's (siglip models are called differently).
 */
export function readTransformersJsLayout(dir: string): { dtypes: LayoutDtype[]; modelType: 'clip' | 'siglip' } | null {
  if (!REQUIRED.every((f) => existsSync(path.join(dir, f)))) return null;
  const configFile = path.join(dir, 'config.json');
  // a config.json this converter writes is a few KB; a larger one is not its layout
  if (statSync(configFile).size > 1024 * 1024) return null;
  let modelType: unknown;
  try {
    modelType = (JSON.parse(readFileSync(configFile, 'utf8')) as { model_type?: unknown }).model_type;
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
