import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { refusalOf, tempDir, writeOversizeJson } from '#test-support';
import { MAX_CONFIG_FILE_BYTES } from '@cliphub/core';
import { readUserRegistry } from './user-registry.js';

const tmp = tempDir('cliphub-user-registry-');
afterAll(tmp.cleanup);

describe('readUserRegistry on a hostile models.json', () => {
  it('refuses an oversized file with one exit-2 line', async () => {
    const file = writeOversizeJson(path.join(tmp.dir, 'models.json'), MAX_CONFIG_FILE_BYTES);
    expect(await refusalOf(() => readUserRegistry(file))).toMatchObject({
      code: 'BAD_CONFIG',
      exitCode: 2,
      message: expect.stringMatching(/^user registry .* is not valid JSON \(.*is over 8 MiB.*; fix it or delete it/),
    });
  });
});
