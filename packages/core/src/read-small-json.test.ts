import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSmallJsonFile } from './read-small-json.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cliphub-small-json-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class CallerError extends Error {}
const fail = (reason: string): Error => new CallerError(`caller says: ${reason}`);

describe('readSmallJsonFile', () => {
  it('parses a file up to the cap', () => {
    const file = path.join(dir, 'ok.json');
    const text = '{"a": [1, "é"]}';
    writeFileSync(file, text);
    expect(readSmallJsonFile(file, 'config', fail, Buffer.byteLength(text))).toEqual({ a: [1, 'é'] });
  });

  it("hands an oversized, missing, special or broken file to the caller's error, in one line", () => {
    const big = path.join(dir, 'big.json');
    writeFileSync(big, `"${'x'.repeat(1024)}"`);
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{\n x');
    const cases: Array<[string, RegExp]> = [
      [big, /^caller says: config .*big\.json is over 1 KiB/],
      [path.join(dir, 'missing.json'), /^caller says: cannot read config .*ENOENT/],
      ['/dev/zero', /^caller says: config \/dev\/zero is not a regular file/],
      [broken, /^caller says: .*JSON/],
    ];
    for (const [file, message] of cases) {
      let thrown: unknown;
      try {
        readSmallJsonFile(file, 'config', fail, 1024);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(CallerError);
      expect((thrown as Error).message).toMatch(message);
      expect((thrown as Error).message).not.toContain('\n');
    }
  });
});
