import { MAX_CONFIG_FILE_BYTES, readSmallTextFile } from './read-small-file.js';

/**
 * Reads and parses a small JSON file a user or a download supplied (a config, a baseline, a report) in
 * bounded memory, as readSmallTextFile does. Any failure (missing, not a regular file, over `maxBytes`,
 * not JSON) goes to `fail` as a one-line reason, so each caller keeps its own error code and advice.
 */
export function readSmallJsonFile(
  file: string,
  what: string,
  fail: (reason: string) => Error,
  maxBytes: number = MAX_CONFIG_FILE_BYTES,
): unknown {
  try {
    return JSON.parse(readSmallTextFile(file, maxBytes, what)) as unknown;
  } catch (e) {
    throw fail((e as Error).message.split('\n')[0]!);
  }
}
