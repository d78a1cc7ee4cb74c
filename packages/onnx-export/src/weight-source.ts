import type { DType, WeightSource } from './types.js';

/** The parts of @cliphub/safetensors' SafetensorsFile the exporter uses (structural, so any reader fits). */
export interface SafetensorsLike {
  header: { tensors: Map<string, { dtype: DType; shape: number[] }> };
  readTensor(name: string): Promise<Uint8Array>;
  tensorChunks?(name: string, chunkBytes?: number): AsyncIterable<Uint8Array>;
  readInto?(name: string, offset: number, target: Uint8Array): Promise<void>;
}

/** Adapts an opened safetensors file (openSafetensors from @cliphub/safetensors) to a WeightSource. */
export function weightSourceFromSafetensors(file: SafetensorsLike): WeightSource {
  const chunks = file.tensorChunks;
  const readInto = file.readInto;
  return {
    names: () => [...file.header.tensors.keys()],
    info: (name) => {
      const t = file.header.tensors.get(name);
      return t ? { dtype: t.dtype, shape: [...t.shape] } : undefined;
    },
    read: (name) => file.readTensor(name),
    ...(chunks ? { chunks: (name: string) => chunks.call(file, name) } : {}),
    ...(readInto
      ? {
          span: (name: string) => ({
            readInto: (offset: number, target: Uint8Array) => readInto.call(file, name, offset, target),
          }),
        }
      : {}),
  };
}
