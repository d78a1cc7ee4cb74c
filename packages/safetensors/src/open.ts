import { DTYPE_BYTES } from './dtype.js';
import { SafetensorsError } from './errors.js';
import type { SafetensorsHeader, TensorInfo } from './header.js';
import { openWithHeader, readExactly, readExactlyInto } from './read-header.js';

export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;

export interface SafetensorsFile {
  path: string;
  header: SafetensorsHeader;
  /** The whole tensor's bytes (row-major, little-endian), in a fresh, aligned buffer. */
  readTensor(name: string): Promise<Uint8Array>;
  /** The tensor's bytes in fresh chunks of at most `chunkBytes`, each a whole number of elements. */
  tensorChunks(name: string, chunkBytes?: number): AsyncIterable<Uint8Array>;
  /**
   * Fills `target` with the tensor's bytes from byte `offset` on: for copy loops that reuse their own
   * buffers instead of allocating one per chunk.
   */
  readInto(name: string, offset: number, target: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Opens and validates a safetensors file; tensors are read lazily, on demand. */
export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  const { handle, header } = await openWithHeader(path);
  let closed = false;

  const info = (name: string): TensorInfo => {
    if (closed)
      throw new SafetensorsError(
        'IO_ERROR',
        `${path} was already closed; open it again to read ${JSON.stringify(name)}`,
      );
    const t = header.tensors.get(name);
    if (!t) {
      throw new SafetensorsError(
        'TENSOR_NOT_FOUND',
        `${path} has no tensor named ${JSON.stringify(name)}; list header.tensors for the names it has`,
      );
    }
    return t;
  };

  return {
    path,
    header,
    async readTensor(name) {
      const [b, e] = info(name).dataOffsets;
      return readExactly(handle, path, header.dataStart + b, e - b);
    },
    tensorChunks(name, chunkBytes = DEFAULT_CHUNK_BYTES) {
      const t = info(name);
      const elem = DTYPE_BYTES[t.dtype];
      if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0) {
        throw new SafetensorsError('BAD_OPTIONS', `chunkBytes must be a positive integer, got ${chunkBytes}`);
      }
      // Whole elements per chunk, so a consumer can view or cast each chunk on its own.
      const step = Math.max(elem, chunkBytes - (chunkBytes % elem));
      const [b, e] = t.dataOffsets;
      return {
        async *[Symbol.asyncIterator]() {
          // One read ahead: the next chunk is on its way while the consumer handles this one.
          const read = (at: number) => readExactly(handle, path, header.dataStart + at, Math.min(step, e - at));
          let next = b < e ? read(b) : null;
          for (let at = b; next; at += step) {
            const chunk = await next;
            next = at + step < e ? read(at + step) : null;
            next?.catch(() => undefined); // a failed read-ahead is reported when it is awaited, not as unhandled
            yield chunk;
          }
        },
      };
    },
    async readInto(name, offset, target) {
      const [b, e] = info(name).dataOffsets;
      if (!Number.isSafeInteger(offset) || offset < 0 || offset + target.byteLength > e - b) {
        throw new SafetensorsError(
          'BAD_OPTIONS',
          `bytes [${offset}, ${offset + target.byteLength}) are outside tensor ${JSON.stringify(name)}, which has ${e - b} bytes`,
        );
      }
      await readExactlyInto(handle, path, header.dataStart + b + offset, target);
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}
