import { OnnxExportError } from './errors.js';
import type { WeightShapes } from './expected-weights.js';
import type { WeightSource } from './types.js';

const FLOATS = new Set(['F64', 'F32', 'F16', 'BF16']);

function list(items: string[], max = 12): string {
  return items.length > max ? `${items.slice(0, max).join(', ')} … (${items.length} in all)` : items.join(', ');
}

/**
 * Checks the weights against what the config implies before anything is written. `required` are the
 * tensors the requested towers read; `known` also covers towers not being exported, and `foreign`
 * prefixes belong to towers this exporter cannot describe (left unchecked).
 */
export function validateWeights(
  source: WeightSource,
  required: WeightShapes,
  known: Set<string>,
  foreign: string[],
): void {
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const [name, shape] of required) {
    const info = source.info(name);
    if (!info) {
      missing.push(name);
      continue;
    }
    if (shape && (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i]))) {
      wrong.push(`${name} [${info.shape.join(',')}] (config implies [${shape.join(',')}])`);
    } else if (shape && !FLOATS.has(info.dtype)) {
      wrong.push(`${name} has dtype ${info.dtype} (expected a float dtype)`);
    }
  }
  const extra = source
    .names()
    .filter((n) => !known.has(n) && !required.has(n) && !foreign.some((p) => n.startsWith(p)));
  if (!missing.length && !wrong.length && !extra.length) return;
  const parts = [
    missing.length ? `missing ${list(missing)}` : '',
    extra.length ? `unexpected ${list(extra)}` : '',
    wrong.length ? `wrong ${list(wrong)}` : '',
  ].filter(Boolean);
  throw new OnnxExportError(
    'WEIGHTS_MISMATCH',
    `weights do not match model_cfg: ${parts.join('; ')}; check that the checkpoint and the config belong to the same model`,
  );
}
