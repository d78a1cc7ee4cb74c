import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { refusalOf, tempDir, writeOversizeJson } from '#test-support';
import { MAX_CONFIG_FILE_BYTES } from '@cliphub/core';
import { DEFAULT_PROFILES, loadProfileOverrides, resolveProfile } from './profiles.js';

const tmp = tempDir('cliphub-prof-');
afterAll(() => tmp.cleanup());

describe('profiles', () => {
  it('picks by artifact precision with auto, and orders the limits by precision', () => {
    expect(resolveProfile('auto', 'bf16').name).toBe('bf16');
    expect(resolveProfile('fp32', 'bf16').name).toBe('fp32');
    const order = ['fp32', 'fp16', 'bf16', 'int8'] as const;
    for (let i = 1; i < order.length; i++) {
      expect(DEFAULT_PROFILES[order[i] as 'fp16'].maxRelL2).toBeGreaterThan(
        DEFAULT_PROFILES[order[i - 1] as 'fp16'].maxRelL2,
      );
      expect(DEFAULT_PROFILES[order[i] as 'fp16'].minCosine).toBeLessThanOrEqual(
        DEFAULT_PROFILES[order[i - 1] as 'fp16'].minCosine,
      );
    }
  });

  it('applies YAML and JSON overrides, including new named profiles', async () => {
    const y = path.join(tmp.dir, 'p.yaml');
    writeFileSync(
      y,
      'profiles:\n  fp16:\n    minCosine: 0.9999\n  strict-bf16:\n    precision: bf16\n    maxRelL2: 0.01\n',
    );
    const o = await loadProfileOverrides(y);
    expect(resolveProfile('fp16', 'fp32', o)).toMatchObject({
      minCosine: 0.9999,
      maxRelL2: DEFAULT_PROFILES.fp16.maxRelL2,
    });
    expect(resolveProfile('strict-bf16', 'fp32', o)).toMatchObject({
      name: 'strict-bf16',
      precision: 'bf16',
      maxRelL2: 0.01,
      minCosine: DEFAULT_PROFILES.bf16.minCosine,
    });
    const j = path.join(tmp.dir, 'p.json');
    writeFileSync(j, JSON.stringify({ int8: { minSpearman: 0.5 } }));
    expect(resolveProfile('auto', 'int8', await loadProfileOverrides(j)).minSpearman).toBe(0.5);
  });

  it('names bad keys, bad values, unknown profiles, an oversized and a missing file (exit 2)', async () => {
    const f = path.join(tmp.dir, 'bad.json');
    writeFileSync(f, JSON.stringify({ fp16: { minCosin: 0.9 } }));
    await expect(loadProfileOverrides(f)).rejects.toMatchObject({
      code: 'BAD_PROFILE',
      exitCode: 2,
      message: expect.stringMatching(/unknown key 'minCosin'/),
    });
    writeFileSync(f, JSON.stringify({ fp16: { minCosine: 'high' } }));
    await expect(loadProfileOverrides(f)).rejects.toMatchObject({
      message: expect.stringMatching(/minCosine must be a non-negative number/),
    });
    writeFileSync(f, JSON.stringify({ mine: { minCosine: 0.9 } }));
    await expect(loadProfileOverrides(f)).rejects.toMatchObject({
      message: expect.stringMatching(/new profile 'mine' needs a precision/),
    });
    writeOversizeJson(f, MAX_CONFIG_FILE_BYTES);
    expect(await refusalOf(() => loadProfileOverrides(f))).toMatchObject({
      code: 'BAD_PROFILE',
      exitCode: 2,
      message: expect.stringMatching(/^cannot read profile file .*: profile .* is over 8 MiB/),
    });
    expect(await refusalOf(() => loadProfileOverrides(path.join(tmp.dir, 'missing.json')))).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(() => resolveProfile('fp8', 'fp32')).toThrow(
      /unknown profile 'fp8'; use auto or one of fp32, fp16, bf16, int8/,
    );
  });
});
