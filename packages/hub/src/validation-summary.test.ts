import { describe, expect, it } from 'vitest';
import { buildModelCard } from './model-card.js';
import { summarizeValidation } from './validation-summary.js';

// The shape `cliphub validate --json` writes (packages/validate toJson): {tool, version, verdict, results, regressions, errors}.
const tower = (t: string, minCosine: number | null, maxAbs: number) => ({
  tower: t,
  samples: [],
  minCosine,
  meanCosine: 0.9999999,
  maxAbs,
  maxAbsRel: 1e-6,
  maxRelL2: 2e-7,
  nonFinite: 0,
});
const result = (verdict: 'pass' | 'fail', imageCos: number | null) => ({
  name: 'onnx',
  artifact: { spec: '/home/me/onnx', path: '/home/me/onnx', kind: 'onnx', label: 'onnx', precision: 'fp32', notes: [] },
  reference: {
    path: '/home/me/fixtures/reference.safetensors',
    against: 'cpu_fp32',
    modelName: 'tiny-vit-gelu',
    n: 4,
    embedDim: 32,
  },
  profile: { name: 'fp32', precision: 'fp32', minCosine: 0.99999 },
  towers: [tower('image', imageCos, 3.1e-7), tower('text', 0.99999994, 2.4e-7)],
  similarity: { argmaxImageToText: 1, argmaxTextToImage: 1, spearman: 1, maxLogitDiff: 1e-5 },
  checks: [
    {
      id: 'image.min_cosine',
      group: 'image',
      value: imageCos ?? Number.NaN,
      limit: 0.99999,
      higherIsBetter: true,
      pass: verdict === 'pass',
    },
    { id: 'text.min_cosine', group: 'text', value: 0.99999994, limit: 0.99999, higherIsBetter: true, pass: true },
  ],
  verdict,
  diagnosis: [],
  seconds: 0.2,
});

describe('summarizeValidation', () => {
  it('summarises a passing report into the card, without local paths', () => {
    const v = summarizeValidation({
      tool: 'cliphub validate',
      version: 1,
      verdict: 'pass',
      results: [result('pass', 0.99999991)],
      regressions: [],
      errors: [],
    });
    expect(v).toMatchObject({
      passed: true,
      profile: 'fp32',
      reference: 'reference.safetensors (cpu_fp32, tiny-vit-gelu)',
    });
    expect(v.rows).toEqual([
      {
        tower: 'image',
        minCosine: 0.99999991,
        meanCosine: 0.9999999,
        maxAbsDiff: 3.1e-7,
        maxRelL2: 2e-7,
        passed: true,
      },
      { tower: 'text', minCosine: 0.99999994, meanCosine: 0.9999999, maxAbsDiff: 2.4e-7, maxRelL2: 2e-7, passed: true },
    ]);
    expect(v.summary).toBe(
      '2 towers compared; similarity: top-1 agreement 100% image->text, 100% text->image, Spearman 1',
    );
    const card = buildModelCard({ repo: 'o/m', validation: v });
    expect(card).toContain('cliphub validate: **passed**');
    expect(card).toContain(
      'Compared with reference reference.safetensors (cpu_fp32, tiny-vit-gelu), under tolerance profile fp32.',
    );
    expect(card).toContain('| image | 0.99999991 | 3.10e-7 | 2.00e-7 | pass |');
    expect(card).not.toContain('/home/me');
  });

  it('lists failed checks; a NaN metric (null in JSON) shows as n/a', () => {
    const v = summarizeValidation({
      verdict: 'fail',
      results: [result('fail', null)],
      regressions: [{ message: 'x' }],
    });
    expect(v.passed).toBe(false);
    expect(v.rows?.[0]).toMatchObject({ tower: 'image', passed: false });
    expect(v.rows?.[0]?.minCosine).toBeUndefined();
    expect(v.checks).toEqual([{ name: 'image.min_cosine', passed: false }]);
    expect(v.summary).toMatch(/1 regression against the baseline/);
    const card = buildModelCard({ repo: 'o/m', validation: v });
    expect(card).toContain('cliphub validate: **FAILED**');
    expect(card).toContain('| image | n/a |');
  });

  it('accepts a single result, towers as a map, snake_case metrics and a string profile', () => {
    const v = summarizeValidation({
      verdict: 'pass',
      profile: 'fp16',
      reference: 'C:\\refs\\ref.safetensors',
      towers: { image: { min_cosine: 0.9999, max_abs_diff: 0.001 } },
    });
    expect(v).toEqual({
      passed: true,
      summary: '1 tower compared',
      profile: 'fp16',
      reference: 'ref.safetensors',
      rows: [{ tower: 'image', minCosine: 0.9999, maxAbsDiff: 0.001 }],
    });
    // per-result verdicts decide when the top level has none; several artifacts are named per row
    const two = summarizeValidation({ results: [result('pass', 0.9999999), { ...result('fail', 0.9), name: 'fp16' }] });
    expect(two.passed).toBe(false);
    expect(two.rows?.map((r) => r.artifact)).toEqual(['onnx', 'onnx', 'fp16', 'fp16']);
    expect(two.checks?.[0]).toEqual({ name: 'fp16: image.min_cosine', passed: false, detail: '0.9 (limit 0.99999)' });
  });

  it('refuses anything else with a clear, typed error', () => {
    const cases: Array<[unknown, RegExp]> = [
      [[1, 2], /not a JSON object/],
      [{ hello: 'world' }, /no "results", "towers" or "checks"/],
      [{ verdict: 'pass' }, /no "results", "towers" or "checks"/],
      [{ results: [{ towers: [] }] }, /no "verdict"/],
      [{ verdict: 'maybe', towers: [] }, /verdict is "maybe"/],
    ];
    for (const [input, msg] of cases) {
      let err: unknown;
      try {
        summarizeValidation(input, 'v.json');
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(input)).toMatchObject({ code: 'BAD_VALIDATION_REPORT', exitCode: 2 });
      expect((err as Error).message).toMatch(msg);
      expect((err as Error).message).toMatch(/^v\.json is not a 'cliphub validate --json' report/);
    }
    expect(() =>
      summarizeValidation({ verdict: 'error', results: [], errors: [{ name: 'a', message: 'boom' }] }, 'v.json'),
    ).toThrow(/errored/);
    expect(() => summarizeValidation({ results: [], errors: [{ name: 'a', message: 'boom' }] }, 'v.json')).toThrow(
      /holds no results \(errors: boom\)/,
    );
  });
});
