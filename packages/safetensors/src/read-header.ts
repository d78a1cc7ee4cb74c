import { open, type FileHandle } from 'node:fs/promises';
import { SafetensorsError, ioError } from './errors.js';
import { headerLengthOf, parseSafetensorsHeader, type SafetensorsHeader } from './header.js';

/** Node refuses single reads and writes over 2 GiB; larger spans go in pieces of this size. */
export const MAX_IO = 1 << 30;

/** Reads exactly `length` bytes at `position`, or fails: a short read means the file shrank underneath us. */
export async function readExactly(
  handle: FileHandle,
  path: string,
  position: number,
  length: number,
): Promise<Uint8Array> {
  // No zero-filling of a buffer that is about to be overwritten in full (or thrown away); never pooled,
  // so it owns its ArrayBuffer from offset 0 and typed-array views on it stay aligned.
  const buf = new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
  await readExactlyInto(handle, path, position, buf);
  return buf;
}

/** Fills `buf` from `position`, or fails as readExactly does. */
export async function readExactlyInto(
  handle: FileHandle,
  path: string,
  position: number,
  buf: Uint8Array,
): Promise<void> {
  const length = buf.byteLength;
  let done = 0;
  while (done < length) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(buf, done, Math.min(length - done, MAX_IO), position + done));
    } catch (err) {
      throw ioError(err, path, 'reading');
    }
    if (bytesRead === 0) {
      throw new SafetensorsError(
        'FILE_CHANGED',
        `${path} ended at byte ${position + done}, earlier than when it was opened; do not modify files while cliphub reads them`,
      );
    }
    done += bytesRead;
  }
}

/** Reads and validates the header of an open file; allocates at most the header's size (bounded by the file). */
async function readHeaderFrom(handle: FileHandle, path: string): Promise<SafetensorsHeader> {
  let fileSize: number;
  try {
    fileSize = (await handle.stat()).size;
  } catch (err) {
    throw ioError(err, path, 'stat');
  }
  try {
    const prefix = await readExactly(handle, path, 0, Math.min(8, fileSize));
    const n = headerLengthOf(prefix, fileSize);
    const bytes = new Uint8Array(8 + n);
    bytes.set(prefix);
    bytes.set(await readExactly(handle, path, 8, n), 8);
    return parseSafetensorsHeader(bytes, fileSize);
  } catch (err) {
    if (err instanceof SafetensorsError && !err.message.startsWith(path)) {
      throw new SafetensorsError(err.code, `${path}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/** Opens a safetensors file and validates its header; the handle is closed again when the header is bad. */
export async function openWithHeader(path: string): Promise<{ handle: FileHandle; header: SafetensorsHeader }> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw ioError(err, path, 'opening');
  }
  try {
    return { handle, header: await readHeaderFrom(handle, path) };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Validates a safetensors file's header, reading only the header bytes. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const { handle, header } = await openWithHeader(path);
  await handle.close();
  return header;
}
