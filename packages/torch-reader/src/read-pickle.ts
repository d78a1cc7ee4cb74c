import { PickleTruncatedError, TorchReaderError } from './errors.js';
import type { ByteSource } from './byte-source.js';
import { unpickleAt, type UnpickleOptions, type UnpickleResult } from './unpickle.js';

/**
 * Unpickles a value that starts at `offset` in a file whose pickle length is not known up front
 * (legacy checkpoints): reads a growing window until the pickle's STOP, never more than `maxBytes`.
 * `makeOptions` is called per attempt so side effects (recorded storages) start fresh.
 */
export async function readPickleAt(
  file: ByteSource,
  offset: number,
  maxBytes: number,
  makeOptions: () => UnpickleOptions,
): Promise<UnpickleResult> {
  const available = Math.max(0, file.size - offset);
  let window = Math.min(64 * 1024, available, maxBytes);
  for (;;) {
    const bytes = await file.read(offset, window, 'a pickle');
    try {
      const r = unpickleAt(bytes, makeOptions());
      return { value: r.value, end: offset + r.end };
    } catch (e) {
      if (!(e instanceof PickleTruncatedError) || window >= available) throw e;
      const want = e.needBytes ?? window * 4;
      // A declared length past the end of the file can never be satisfied: fail now, read nothing more.
      if (want > available) throw e;
      if (want > maxBytes || window >= maxBytes) {
        throw new TorchReaderError(
          'LIMIT_EXCEEDED',
          `${file.path}: a pickle at byte ${offset} is larger than ${maxBytes} bytes; raise maxPickleBytes if the file is trusted`,
        );
      }
      window = Math.min(Math.max(want, window * 4), available, maxBytes);
    }
  }
}
