import type { Regression } from './baseline.js';
import type { ValidationResult } from './validate.js';

export interface JsonReport {
  tool: 'cliphub validate';
  version: 1;
  verdict: 'pass' | 'fail' | 'error';
  results: ValidationResult[];
  regressions: Regression[];
  errors: Array<{ name: string; message: string }>;
}

/** The machine-readable report; NaN metrics become null (JSON has no NaN). */
export function toJson(inputs: {
  results: ValidationResult[];
  regressions?: Regression[];
  errors?: Array<{ name: string; message: string }>;
}): JsonReport {
  const errors = inputs.errors ?? [];
  const regressions = inputs.regressions ?? [];
  const failed = inputs.results.some((r) => r.verdict === 'fail') || regressions.length > 0;
  return {
    tool: 'cliphub validate',
    version: 1,
    verdict: errors.length ? 'error' : failed ? 'fail' : 'pass',
    results: inputs.results,
    regressions,
    errors,
  };
}
