import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '#test-support';
import { MAX_CONFIG_FILE_BYTES } from '@cliphub/core';
import { readOpenClipConfigDir } from './config-file.js';
import { RegistryError } from './errors.js';

const tmp = tempDir('cliphub-config-file-');
afterAll(tmp.cleanup);

function folderWith(name: string, config: string): string {
  const dir = path.join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'open_clip_config.json'), config);
  return dir;
}

describe('readOpenClipConfigDir on hostile folders', () => {
  it('refuses an oversized open_clip_config.json with exit 2 before parsing it', () => {
    const dir = folderWith('huge', `{"model_cfg": {}, "pad": "${'x'.repeat(MAX_CONFIG_FILE_BYTES)}"}`);
    expect(() => readOpenClipConfigDir(dir)).toThrow(RegistryError);
    expect(() => readOpenClipConfigDir(dir)).toThrow(/is over 8 MiB/);
  });

  it('refuses broken JSON with one line that says what to do', () => {
    const dir = folderWith('broken', '{"model_cfg": ');
    expect(() => readOpenClipConfigDir(dir)).toThrow(/is not a valid JSON config .*; fix or regenerate it/);
  });
});
