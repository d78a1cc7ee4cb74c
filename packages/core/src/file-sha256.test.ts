import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '#test-support';
import { fileSha256 } from './file-sha256.js';

describe('fileSha256', () => {
  it('hashes the file bytes (sha256 of "abc")', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(path.join(dir, 'f'), 'abc');
      expect(await fileSha256(path.join(dir, 'f'))).toBe(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      );
    } finally {
      cleanup();
    }
  });
});
