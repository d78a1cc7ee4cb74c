import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliphubError } from './errors.js';
import { readSmallTextFile } from './read-small-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cliphub-small-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(CliphubError);
    expect((e as CliphubError).exitCode).toBe(2);
    expect((e as Error).message).not.toContain('\n');
    return (e as CliphubError).code;
  }
  return undefined;
}

describe('readSmallTextFile', () => {
  it('reads a file up to the cap, byte for byte', () => {
    const file = path.join(dir, 'ok.json');
    const text = '{"a": "é🙂"}';
    writeFileSync(file, text);
    expect(readSmallTextFile(file, Buffer.byteLength(text))).toBe(text);
  });

  it('refuses a file one byte over the cap', () => {
    const file = path.join(dir, 'big.json');
    writeFileSync(file, 'x'.repeat(1025));
    expect(codeOf(() => readSmallTextFile(file, 1024, 'config'))).toBe('FILE_TOO_LARGE');
  });

  it('refuses a directory, a device that never ends and a FIFO without waiting for a writer', () => {
    expect(codeOf(() => readSmallTextFile(dir, 1024))).toBe('NOT_A_FILE');
    expect(codeOf(() => readSmallTextFile('/dev/zero', 1024))).toBe('NOT_A_FILE');
    const fifo = path.join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    expect(codeOf(() => readSmallTextFile(fifo, 1024))).toBe('NOT_A_FILE');
  });

  it('says the path when the file is missing', () => {
    expect(codeOf(() => readSmallTextFile(path.join(dir, 'missing.json'), 1024))).toBe('UNREADABLE');
  });
});
