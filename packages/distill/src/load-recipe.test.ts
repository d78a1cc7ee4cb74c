import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '#test-support';
import { MAX_CONFIG_FILE_BYTES } from '@cliphub/core';
import { DistillError } from './errors.js';
import { loadRecipe } from './load-recipe.js';

const tmp = tempDir('cliphub-load-recipe-');
afterAll(tmp.cleanup);

function errorOf(file: string): DistillError {
  try {
    loadRecipe(file);
  } catch (e) {
    expect(e).toBeInstanceOf(DistillError);
    return e as DistillError;
  }
  throw new Error(`loadRecipe(${file}) did not throw`);
}

describe('loadRecipe on hostile files', () => {
  it('refuses a recipe over the size cap before parsing it, exit 2', () => {
    const file = path.join(tmp.dir, 'huge.yaml');
    writeFileSync(file, `# ${'x'.repeat(MAX_CONFIG_FILE_BYTES)}\n`);
    const e = errorOf(file);
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/is over 8 MiB/);
    expect(e.message).toMatch(/cliphub distill list/);
  });

  it('refuses a directory, a device and a missing file with one line each', () => {
    for (const file of [tmp.dir, '/dev/zero', path.join(tmp.dir, 'missing.yaml')]) {
      const e = errorOf(file);
      expect(e.code).toBe('UNKNOWN_RECIPE');
      expect(e.exitCode).toBe(2);
      expect(e.message).not.toContain('\n');
    }
  });
});
