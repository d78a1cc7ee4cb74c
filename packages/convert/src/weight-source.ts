import type { WeightSource } from '@cliphub/onnx-export';
import type { OpenedWeights } from './open-weights.js';

/** Addresses an opened checkpoint's tensors by name for the exporter; one tensor in memory at a time. */
export function weightSourceFromOpened(weights: OpenedWeights): WeightSource {
  const byName = new Map(weights.tensors.map((t) => [t.name, t]));
  return {
    names: () => [...byName.keys()],
    info: (name) => {
      const t = byName.get(name);
      return t ? { dtype: t.dtype, shape: t.shape } : undefined;
    },
    read: async (name) => {
      const t = byName.get(name);
      if (!t) throw new Error(`no tensor '${name}' in ${weights.path}`);
      const out = new Uint8Array(t.byteLength);
      let at = 0;
      for await (const chunk of t.chunks()) {
        out.set(chunk, at);
        at += chunk.byteLength;
      }
      return out;
    },
    span: (name) => {
      const readInto = byName.get(name)?.readInto;
      return readInto ? { readInto } : null;
    },
    chunks: (name) => {
      const t = byName.get(name);
      if (!t) throw new Error(`no tensor '${name}' in ${weights.path}`);
      return t.chunks();
    },
  };
}
