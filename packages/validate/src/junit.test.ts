import { describe, expect, it } from 'vitest';
import { toJunitXml } from './junit.js';
import type { ValidationResult } from './validate.js';
import { DEFAULT_PROFILES } from './profiles.js';

function result(name: string, failText: boolean): ValidationResult {
  const check = (group: 'image' | 'text' | 'similarity', pass: boolean) => ({
    id: `${group}.min_cosine`,
    group,
    value: pass ? 1 : 0.9,
    limit: 0.99999,
    higherIsBetter: true,
    pass,
  });
  return {
    name,
    artifact: { spec: 'a', path: 'a', kind: 'onnx', label: 'onnx dir', precision: 'fp32', notes: [] },
    reference: { path: 'r', against: 'cpu_fp32', modelName: null, n: 2, embedDim: 4 },
    profile: DEFAULT_PROFILES.fp32,
    towers: [],
    similarity: null,
    checks: [check('image', true), check('text', !failText), check('similarity', true)],
    verdict: failText ? 'fail' : 'pass',
    diagnosis: failText
      ? [
          {
            kind: 'activation-mismatch',
            tower: 'text',
            message: 'QuickGELU/GELU mismatch suspected in the text tower <&>\u0001',
          },
        ]
      : [],
    seconds: 0.3,
  };
}

describe('toJunitXml', () => {
  it('writes one testsuite per model and one testcase per tower check, failures carrying the diagnosis', () => {
    const xml = toJunitXml([result('ok', false), result('bad "one"', true)], {
      errors: [{ name: 'broken', message: 'no such file' }],
    });
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="cliphub validate" tests="7" failures="1" errors="1">/,
    );
    expect(xml.match(/<testsuite /g)).toHaveLength(3);
    expect(xml).toMatch(/<testsuite name="bad &quot;one&quot;" tests="3" failures="1"/);
    expect(xml).toMatch(
      /<testcase name="text tower \(fp32 vs cpu_fp32\)" classname="cliphub.validate.bad_one_" time="0.100">\s*<failure message="QuickGELU\/GELU mismatch suspected in the text tower &lt;&amp;&gt;"/,
    );
    expect(xml).toMatch(/<error message="no such file" type="bad-input"\/>/);
    expect(xml.includes('\u0001')).toBe(false);
  });

  it('adds a baseline testcase per model when regressions were checked', () => {
    const xml = toJunitXml([result('ok', false)], {
      regressions: [
        { row: 'ok', metric: 'image.min_cosine', before: 1, after: 0.9, message: 'ok: image.min_cosine got worse' },
      ],
    });
    expect(xml).toMatch(
      /<testcase name="no regression against baseline"[^>]*>\s*<failure message="1 metric\(s\) worse than the baseline"/,
    );
  });
});
