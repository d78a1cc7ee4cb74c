import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-write.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cliphub-core-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('replaces a file whole and leaves no temp file', async () => {
    const file = path.join(dir, 'a.json');
    writeFileSync(file, 'old');
    await writeFileAtomic(file, '{"new":true}');
    await writeFileAtomic(path.join(dir, 'b.bin'), new Uint8Array([1, 2, 3]).subarray(1));
    expect(readFileSync(file, 'utf8')).toBe('{"new":true}');
    expect([...readFileSync(path.join(dir, 'b.bin'))]).toEqual([2, 3]);
    expect(readdirSync(dir).sort()).toEqual(['a.json', 'b.bin']);
  });

  it('fails on a missing directory without leaving anything', async () => {
    await expect(writeFileAtomic(path.join(dir, 'missing/x.json'), 'x')).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir).sort()).toEqual(['a.json', 'b.bin']);
  });
});
