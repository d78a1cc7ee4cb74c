import { existsSync } from 'node:fs';
import path from 'node:path';
import { DTYPE_SUFFIX, LAYOUT_DTYPES, type LayoutDtype } from './convert-to-transformers-js.js';

const REQUIRED = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'open_clip_config.json'];

/**
 * A folder written by convertToTransformersJs, or null: its configs and tokenizer are there, and the variants
 * (dtypes) whose three graphs all are.
 */
export function readTransformersJsLayout(dir: string): { dtypes: LayoutDtype[] } | null {
  if (!REQUIRED.every((f) => existsSync(path.join(dir, f)))) return null;
  const dtypes = LAYOUT_DTYPES.filter((d) =>
    ['text_model', 'vision_model', 'model'].every((g) =>
      existsSync(path.join(dir, 'onnx', `${g}${DTYPE_SUFFIX[d]}.onnx`)),
    ),
  );
  return dtypes.length ? { dtypes } : null;
}
