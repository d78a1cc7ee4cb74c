import { textWeights } from '../expected-weights.js';
import { resolveText, resolveVision, type VisionSpec } from '../resolve-config.js';
import type { DType, ModelCfg, WeightSource } from '../types.js';
import { visionWeights } from '../vision-towers.js';

export interface MemTensor {
  dtype: DType;
  shape: number[];
  data: Uint8Array;
}

/**
 * An in-memory WeightSource (tests only). `failOn` makes reads of that tensor fail; `readInto` adds the
 * span-copy entry point (which fails on `failOn` from byte `failAt` on).
 */
export function memorySource(
  tensors: Map<string, MemTensor>,
  failOn?: string,
  opts: { readInto?: boolean; failAt?: number } = {},
): WeightSource {
  const readInto = async (n: string, offset: number, target: Uint8Array) => {
    if (n === failOn && offset + target.byteLength > (opts.failAt ?? 0))
      throw new Error(`simulated read failure on ${n} at byte ${offset}`);
    const t = tensors.get(n);
    if (!t) throw new Error(`no ${n}`);
    target.set(t.data.subarray(offset, offset + target.byteLength));
  };
  return {
    ...(opts.readInto
      ? { span: (n: string) => ({ readInto: (offset: number, target: Uint8Array) => readInto(n, offset, target) }) }
      : {}),
    names: () => [...tensors.keys()],
    info: (n) => {
      const t = tensors.get(n);
      return t ? { dtype: t.dtype, shape: t.shape } : undefined;
    },
    read: async (n) => {
      if (n === failOn) throw new Error(`simulated read failure on ${n}`);
      const t = tensors.get(n);
      if (!t) throw new Error(`no ${n}`);
      return t.data;
    },
  };
}

const FROM_CHECKPOINT = new Set<VisionSpec['kind']>(['fastvit', 'mci-vit', 'swin']);

/** Deterministic small random weights with every shape the config implies (towers that resolve). */
export function syntheticWeights(cfg: ModelCfg, seed = 1): Map<string, MemTensor> {
  let s = seed;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  const out = new Map<string, MemTensor>();
  const shapes = new Map<string, number[] | null>();
  try {
    const v = resolveVision(cfg);
    // MobileCLIP and Swin towers take their sizes from a checkpoint, which there is none of here
    if (!FROM_CHECKPOINT.has(v.kind))
      for (const [k, sh] of visionWeights(v, memorySource(new Map()))) shapes.set(k, sh);
  } catch {
    /* unsupported vision: no weights */
  }
  try {
    for (const [k, sh] of textWeights(resolveText(cfg))) shapes.set(k, sh);
  } catch {
    /* unsupported text */
  }
  shapes.set('logit_scale', []);
  for (const [k, sh] of shapes) {
    if (!sh) {
      out.set(k, { dtype: 'I64', shape: [], data: new Uint8Array(8) });
      continue;
    }
    const n = sh.reduce((a, b) => a * b, 1);
    const f = Float32Array.from({ length: n }, () => (k.endsWith('running_var') ? 1 + Math.abs(rand()) : rand() * 0.2));
    out.set(k, { dtype: 'F32', shape: sh, data: new Uint8Array(f.buffer) });
  }
  return out;
}

export const TINY_CFG: ModelCfg = {
  embed_dim: 16,
  vision_cfg: { image_size: 32, layers: 1, width: 32, head_width: 16, patch_size: 8 },
  text_cfg: { context_length: 8, vocab_size: 100, width: 16, heads: 2, layers: 1 },
};
