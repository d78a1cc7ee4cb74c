import { existsSync } from 'node:fs';
import { readSmallJsonFile, writeFileAtomic } from '@cliphub/core';
import { z } from 'zod';
import { ValidateError } from './errors.js';
import type { ValidationResult } from './validate.js';

export interface BaselineRow {
  verdict: 'pass' | 'fail';
  /** check id -> [value, higherIsBetter] */
  metrics: Record<string, { value: number | null; higherIsBetter: boolean }>;
}

export interface Baseline {
  version: 1;
  created: string;
  rows: Record<string, BaselineRow>;
}

const baselineSchema = z.object({
  version: z.literal(1),
  created: z.string(),
  rows: z.record(
    z.string(),
    z.object({
      verdict: z.enum(['pass', 'fail']),
      metrics: z.record(z.string(), z.object({ value: z.number().nullable(), higherIsBetter: z.boolean() })),
    }),
  ),
}) satisfies z.ZodType<Baseline>;

export interface Regression {
  row: string;
  metric: string;
  before: number | null;
  after: number | null;
  message: string;
}

/** How much worse than the baseline a metric may get before it counts: float noise, not real change. */
export interface RegressionSlack {
  /** Relative growth of the metric's error (1 - value for higher-is-better metrics). Default 0.1. */
  relative: number;
  /** Absolute growth allowed on top. Default 1e-9. */
  absolute: number;
  /**
   * Growth allowed as a fraction of the profile's limit (as an error). Default 0.01: float noise far below
   * the limit (fp32 relL2 1e-7 against a 1e-4 limit) never counts, while real drift does.
   */
  ofLimit: number;
}

export const DEFAULT_SLACK: RegressionSlack = { relative: 0.1, absolute: 1e-9, ofLimit: 0.01 };

export function toBaseline(results: ValidationResult[]): Baseline {
  const rows: Record<string, BaselineRow> = {};
  for (const r of results) {
    const metrics: BaselineRow['metrics'] = {};
    // NaN is stored as null (JSON has no NaN) and treated as the worst value.
    for (const c of r.checks)
      metrics[c.id] = { value: Number.isFinite(c.value) ? c.value : null, higherIsBetter: c.higherIsBetter };
    rows[r.name] = { verdict: r.verdict, metrics };
  }
  return { version: 1, created: new Date().toISOString(), rows };
}

/** Turns a metric into an error that grows when the metric gets worse (null = worst). */
const errorOf = (v: number | null, higherIsBetter: boolean): number =>
  v === null ? Infinity : higherIsBetter ? 1 - v : v;

/** Every metric (and verdict) of `results` that got worse than in `baseline`; new rows are not regressions. */
export function compareToBaseline(
  results: ValidationResult[],
  baseline: Baseline,
  slack: RegressionSlack = DEFAULT_SLACK,
): Regression[] {
  const out: Regression[] = [];
  for (const r of results) {
    const before = baseline.rows[r.name];
    if (!before) continue;
    if (before.verdict === 'pass' && r.verdict === 'fail') {
      out.push({
        row: r.name,
        metric: 'verdict',
        before: null,
        after: null,
        message: `${r.name}: verdict went from pass to fail`,
      });
    }
    for (const c of r.checks) {
      const b = before.metrics[c.id];
      if (!b) continue;
      const after = Number.isFinite(c.value) ? c.value : null;
      const eb = errorOf(b.value, c.higherIsBetter);
      const ea = errorOf(after, c.higherIsBetter);
      const room = Math.max(slack.absolute, slack.ofLimit * errorOf(c.limit, c.higherIsBetter));
      if (ea > eb * (1 + slack.relative) + room) {
        out.push({
          row: r.name,
          metric: c.id,
          before: b.value,
          after,
          message: `${r.name}: ${c.id} got worse: ${fmt(b.value)} -> ${fmt(after)}`,
        });
      }
    }
  }
  return out;
}

const fmt = (v: number | null): string => (v === null ? 'NaN/Inf' : v.toPrecision(6));

export async function readBaseline(path: string): Promise<Baseline | null> {
  if (!existsSync(path)) return null;
  const value = readSmallJsonFile(
    path,
    'baseline',
    (reason) =>
      new ValidateError(
        'BAD_SUITE',
        `baseline ${path} is not valid JSON (${reason}); delete it to start a new baseline`,
      ),
  );
  const parsed = baselineSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` (at ${issue.path.join('.')}: ${issue.message})` : '';
    throw new ValidateError(
      'BAD_SUITE',
      `baseline ${path} is not a cliphub validate baseline (version 1)${where}; delete it to start a new one`,
    );
  }
  return parsed.data;
}

/** Written atomically (unique temp file, fsync, rename), so a crash or a second writer never leaves half a baseline. */
export async function writeBaseline(path: string, baseline: Baseline): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(baseline, null, 2)}\n`);
}
