import { TorchReaderError } from './errors.js';

/** Random access to a checkpoint's bytes: a file handle in production, memory in tests and fuzzing. */
export interface ByteSource {
  /** What error messages call it (the file path). */
  readonly path: string;
  readonly size: number;
  /** Exactly `length` bytes at `offset`, or a TorchReaderError naming `what` when out of range. */
  read(offset: number, length: number, what?: string): Promise<Uint8Array>;
  /** Fills `target` from `offset` (checked as read is), for callers that reuse their buffers. */
  readInto?(offset: number, target: Uint8Array, what?: string): Promise<void>;
  close(): Promise<void>;
}

export function checkRange(src: { path: string; size: number }, offset: number, length: number, what: string): void {
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > src.size
  ) {
    throw new TorchReaderError(
      'TRUNCATED',
      `${src.path}: ${what} at byte ${offset} (${length} bytes) lies past the end of the ${src.size}-byte file; the file is truncated or corrupt`,
    );
  }
}

/** A ByteSource over bytes already in memory; reads return copies so callers may mutate them. */
export function memorySource(bytes: Uint8Array, path = '<memory>'): ByteSource {
  return {
    path,
    size: bytes.length,
    async read(offset, length, what = 'data') {
      checkRange(this, offset, length, what);
      return bytes.slice(offset, offset + length);
    },
    async close() {},
  };
}
