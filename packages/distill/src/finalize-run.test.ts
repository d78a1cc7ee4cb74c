import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { refusalOf, tempDir } from '#test-support';
import { MAX_CONFIG_FILE_BYTES } from '@cliphub/core';
import { readRunParams } from './finalize-run.js';

const tmp = tempDir('cliphub-run-params-');
afterAll(tmp.cleanup);

describe("readRunParams (open_clip_train's params.txt)", () => {
  it('reads key: value lines, and nothing when there is no params.txt', () => {
    writeFileSync(path.join(tmp.dir, 'params.txt'), 'model: ViT-B-32\nlr: 0.0005\nnot a pair\n');
    expect(readRunParams(tmp.dir)).toEqual({ model: 'ViT-B-32', lr: '0.0005' });
    expect(readRunParams(path.join(tmp.dir, 'elsewhere'))).toEqual({});
  });

  it('refuses an oversized params.txt with one exit-2 line', async () => {
    writeFileSync(path.join(tmp.dir, 'params.txt'), `model: ${'x'.repeat(MAX_CONFIG_FILE_BYTES)}\n`);
    expect(await refusalOf(() => readRunParams(tmp.dir))).toMatchObject({
      code: 'FILE_TOO_LARGE',
      exitCode: 2,
      message: expect.stringMatching(/params\.txt .* is over 8 MiB/),
    });
  });
});
