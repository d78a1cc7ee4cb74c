import { describe, expect, it } from 'vitest';
import { refusalOf, writeOversizeJson } from '#test-support';
import { MAX_CONFIG_FILE_BYTES } from '@cliphub/core';
import { compareToBaseline, readBaseline, toBaseline, writeBaseline } from './baseline.js';
import { DEFAULT_PROFILES } from './profiles.js';
import type { ValidationResult } from './validate.js';

function result(relL2: number, verdict: 'pass' | 'fail' = 'pass'): ValidationResult {
  return {
    name: 'row',
    artifact: { spec: 'a', path: 'a', kind: 'onnx', label: 'onnx dir', precision: 'fp32', notes: [] },
    reference: { path: 'r', against: 'cpu_fp32', modelName: null, n: 2, embedDim: 4 },
    profile: DEFAULT_PROFILES.fp32,
    towers: [],
    similarity: null,
    checks: [
      { id: 'image.max_rel_l2', group: 'image', value: relL2, limit: 1e-4, higherIsBetter: false, pass: relL2 <= 1e-4 },
      {
        id: 'image.min_cosine',
        group: 'image',
        value: 1 - relL2 ** 2 / 2,
        limit: 0.99999,
        higherIsBetter: true,
        pass: true,
      },
    ],
    verdict,
    diagnosis: [],
    seconds: 0,
  };
}

describe('compareToBaseline', () => {
  const base = toBaseline([result(1e-7)]);
  it('ignores float noise far below the limit', () => {
    expect(compareToBaseline([result(3e-7)], base)).toEqual([]);
  });
  it('flags real drift even while the check still passes, and a pass turning into a fail', () => {
    expect(compareToBaseline([result(2e-5)], base).map((r) => r.metric)).toEqual(['image.max_rel_l2']);
    expect(compareToBaseline([result(2e-4, 'fail')], base).map((r) => r.metric)).toEqual([
      'verdict',
      'image.max_rel_l2',
    ]);
  });
  it('treats NaN as the worst value and ignores rows the baseline does not know', () => {
    expect(compareToBaseline([result(NaN)], base).map((r) => r.after)).toEqual([null, null]);
    expect(compareToBaseline([{ ...result(1), name: 'new' }], base)).toEqual([]);
  });
});

describe('baseline files', () => {
  it('concurrent writes each land whole, leaving no temp file; a malformed row or an oversized file is refused', async () => {
    const { mkdtempSync, readdirSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'cliphub-baseline-'));
    try {
      const file = path.join(dir, 'baseline.json');
      const baselines = Array.from({ length: 12 }, (_, i) => toBaseline([result(1e-6 * (i + 1))]));
      await Promise.all(baselines.map((b) => writeBaseline(file, b)));
      expect(readdirSync(dir)).toEqual(['baseline.json']);
      expect(baselines).toContainEqual(await readBaseline(file));
      writeFileSync(file, JSON.stringify({ version: 1, created: 'x', rows: { r: { verdict: 'maybe', metrics: {} } } }));
      await expect(readBaseline(file)).rejects.toThrow(/rows\.r\.verdict/);
      writeOversizeJson(file, MAX_CONFIG_FILE_BYTES);
      expect(await refusalOf(() => readBaseline(file))).toMatchObject({
        code: 'BAD_SUITE',
        exitCode: 2,
        message: expect.stringMatching(
          /^baseline .* is not valid JSON \(baseline .* is over 8 MiB.*; delete it to start a new baseline$/,
        ),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
