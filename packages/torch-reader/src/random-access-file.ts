import { open, type FileHandle } from 'node:fs/promises';
import { checkRange, type ByteSource } from './byte-source.js';
import { TorchReaderError } from './errors.js';

/** Positional reads from one file handle, each checked against the file size. */
export class RandomAccessFile implements ByteSource {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<RandomAccessFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      throw new TorchReaderError('IO_ERROR', `cannot open ${path} (${code}); check the path and permissions`);
    }
    const st = await handle.stat();
    if (!st.isFile()) {
      await handle.close();
      throw new TorchReaderError('IO_ERROR', `${path} is not a regular file; pass a checkpoint file`);
    }
    return new RandomAccessFile(path, handle, st.size);
  }

  /** Reads exactly `length` bytes at `offset`; `what` names the record for the error message. */
  async read(offset: number, length: number, what = 'data'): Promise<Uint8Array> {
    const buf = Buffer.allocUnsafe(length);
    const out = new Uint8Array(buf.buffer, buf.byteOffset, length);
    await this.readInto(offset, out, what);
    return out;
  }

  async readInto(offset: number, target: Uint8Array, what = 'data'): Promise<void> {
    const length = target.byteLength;
    checkRange(this, offset, length, what);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(target, done, length - done, offset + done);
      if (bytesRead === 0) {
        throw new TorchReaderError(
          'TRUNCATED',
          `${this.path}: the file ended while reading ${what} at byte ${offset + done}; it was truncated while open`,
        );
      }
      done += bytesRead;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Opens `path`, runs `use` on it and closes it, also when `use` throws. */
export async function withFile<T>(path: string, use: (file: RandomAccessFile) => Promise<T>): Promise<T> {
  const file = await RandomAccessFile.open(path);
  try {
    return await use(file);
  } finally {
    await file.close();
  }
}
