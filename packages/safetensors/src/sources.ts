import type { DType } from './dtype.js';
import type { SafetensorsFile } from './open.js';
import type { TensorSource } from './write.js';

/** A TensorSource over bytes already in memory (small tensors, tests). */
export function bytesSource(name: string, dtype: DType, shape: number[], bytes: Uint8Array): TensorSource {
  return {
    name,
    dtype,
    shape,
    chunks: async function* () {
      yield bytes;
    },
  };
}

/** Every tensor of an open safetensors file as TensorSources, in file order (for re-writing or casting). */
export function fileSources(file: SafetensorsFile, chunkBytes?: number): TensorSource[] {
  return [...file.header.tensors].map(([name, info]) => ({
    name,
    dtype: info.dtype,
    shape: info.shape,
    chunks: () => file.tensorChunks(name, chunkBytes),
  }));
}
