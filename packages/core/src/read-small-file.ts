import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { CliphubError } from './errors.js';

/** The cap for a JSON or YAML config, recipe or manifest: real ones are a few KiB. */
export const MAX_CONFIG_FILE_BYTES = 8 << 20;

export type SmallFileErrorCode = 'FILE_TOO_LARGE' | 'NOT_A_FILE' | 'UNREADABLE';

/**
 * Reads a small text file (a config, a recipe, a model card) that a user or a download supplied, in
 * bounded memory: it refuses anything that is not a regular file (a FIFO or /dev/zero would never end)
 * or that holds more than `maxBytes`, and it never reads past `maxBytes + 1` even if the file grows
 * while it is read.
 */
export function readSmallTextFile(file: string, maxBytes: number, what = 'file'): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new CliphubError<SmallFileErrorCode>(
      'UNREADABLE',
      `cannot read ${what} ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path`,
      { cause: e },
    );
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new CliphubError<SmallFileErrorCode>('NOT_A_FILE', `${what} ${file} is not a regular file; give a file`);
    if (stat.size > maxBytes) throw tooLarge(file, what, maxBytes);
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) throw tooLarge(file, what, maxBytes);
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

function tooLarge(file: string, what: string, maxBytes: number): CliphubError<SmallFileErrorCode> {
  return new CliphubError<SmallFileErrorCode>(
    'FILE_TOO_LARGE',
    `${what} ${file} is over ${formatBytes(maxBytes)}, more than any real one holds; check that it is the right file`,
  );
}

function formatBytes(bytes: number): string {
  return bytes >= 1 << 20 ? `${bytes / (1 << 20)} MiB` : `${bytes / 1024} KiB`;
}
