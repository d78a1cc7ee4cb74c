import { MAX_CONFIG_FILE_BYTES, readSmallTextFile } from '@cliphub/core';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { LoadArtifactOptions } from './artifact.js';
import {
  compareToBaseline,
  DEFAULT_SLACK,
  readBaseline,
  toBaseline,
  writeBaseline,
  type Regression,
  type RegressionSlack,
} from './baseline.js';
import { asValidateError, ValidateError } from './errors.js';
import { parseProfileOverrides, type ProfileOverrides } from './profiles.js';
import { validateArtifact, type ValidationResult } from './validate.js';

export interface SuiteRow {
  name: string;
  artifact: string;
  reference: string;
  against: string;
  profile: string;
}

export interface Suite {
  path: string;
  rows: SuiteRow[];
  concurrency: number;
  baseline: string;
  slack: RegressionSlack;
  overrides: ProfileOverrides;
}

const ROW_KEYS = ['name', 'artifact', 'reference', 'against', 'profile'];

/** Reads suite.yaml: `rows:` of {artifact, reference, against?, profile?, name?}; paths are relative to the file. */
export async function loadSuite(file: string): Promise<Suite> {
  let text: string;
  try {
    text = readSmallTextFile(file, MAX_CONFIG_FILE_BYTES, 'suite');
  } catch (err) {
    throw asValidateError(err, 'BAD_SUITE', `cannot read suite ${file}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ValidateError('BAD_SUITE', `${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const bad = (msg: string): never => {
    throw new ValidateError('BAD_SUITE', `${file}: ${msg}`);
  };
  const root = (Array.isArray(doc) ? { rows: doc } : (doc ?? {})) as Record<string, unknown>;
  if (typeof root !== 'object') bad('expected a mapping with a rows: list');
  const rawRows = root.rows;
  if (rawRows === undefined || rawRows === null || (Array.isArray(rawRows) && rawRows.length === 0)) {
    throw new ValidateError('EMPTY_SUITE', `${file} has no rows; add rows: [{artifact: DIR, reference: FILE}, ...]`);
  }
  if (!Array.isArray(rawRows)) bad('rows must be a list');
  const dir = path.dirname(path.resolve(file));
  const abs = (p: string): string => (path.isAbsolute(p) ? p : path.join(dir, p));
  const names = new Set<string>();
  const rows = (rawRows as unknown[]).map((raw, i): SuiteRow => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad(`row ${i + 1} is not a mapping`);
    const r = raw as Record<string, unknown>;
    for (const k of Object.keys(r))
      if (!ROW_KEYS.includes(k)) bad(`row ${i + 1} has unknown key '${k}'; rows take ${ROW_KEYS.join(', ')}`);
    for (const k of ['artifact', 'reference'])
      if (typeof r[k] !== 'string' || !r[k]) bad(`row ${i + 1} needs ${k}: (a path)`);
    for (const k of ['name', 'against', 'profile'])
      if (r[k] !== undefined && typeof r[k] !== 'string') bad(`row ${i + 1}: ${k} must be a string`);
    // '#SET' picks an embeddings set; keep it out of path resolution.
    const artifact = r.artifact as string;
    const name =
      (r.name as string | undefined) ?? `${path.basename(artifact)}${r.profile ? ` [${r.profile as string}]` : ''}`;
    if (names.has(name))
      bad(`two rows are named '${name}'; give each row a unique name: (the baseline is keyed by it)`);
    names.add(name);
    return {
      name,
      artifact: abs(artifact),
      reference: abs(r.reference as string),
      against: (r.against as string) ?? 'cpu_fp32',
      profile: (r.profile as string) ?? 'auto',
    };
  });
  const concurrency = root.concurrency ?? 4;
  if (typeof concurrency !== 'number' || !Number.isInteger(concurrency) || concurrency < 1)
    bad('concurrency must be a positive integer');
  const slackRaw = (root.slack ?? {}) as Record<string, unknown>;
  const slack = { ...DEFAULT_SLACK, ...slackRaw } as RegressionSlack;
  if (![slack.relative, slack.absolute, slack.ofLimit].every((v) => typeof v === 'number' && v >= 0))
    bad('slack takes {relative, absolute, ofLimit}: non-negative numbers');
  const baseline =
    typeof root.baseline === 'string'
      ? abs(root.baseline)
      : path.join(dir, `${path.basename(file).replace(/\.ya?ml$/i, '')}.baseline.json`);
  return {
    path: file,
    rows,
    concurrency: concurrency as number,
    baseline,
    slack,
    overrides: parseProfileOverrides(root.profiles, file),
  };
}

export interface SuiteResult {
  suite: Suite;
  results: ValidationResult[];
  /** Rows that could not run (bad input), with the reason. */
  errors: Array<{ name: string; message: string }>;
  regressions: Regression[];
  /** null when there was no baseline to compare with. */
  baselineFound: boolean;
  baselineWritten: boolean;
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface RunSuiteOptions extends Pick<LoadArtifactOptions, 'exportCheckpoint'> {
  /** Write the baseline even when rows failed or regressed (accept the new numbers). */
  updateBaseline?: boolean;
  concurrency?: number;
  /** Scratch dir for checkpoint exports (one subdir per row). */
  workDir?: string;
}

/**
 * Runs every row (bounded parallelism), compares with the stored baseline and, when everything passed
 * without regressions (or updateBaseline is set), stores the new results as the baseline.
 */
export async function runSuite(suite: Suite, options: RunSuiteOptions = {}): Promise<SuiteResult> {
  type Outcome = { result: ValidationResult } | { error: { name: string; message: string } };
  const outcomes = await mapBounded(
    suite.rows,
    options.concurrency ?? suite.concurrency,
    async (row, i): Promise<Outcome> => {
      try {
        const result = await validateArtifact({
          name: row.name,
          artifact: row.artifact,
          reference: row.reference,
          against: row.against,
          profile: row.profile,
          overrides: suite.overrides,
          ...(options.exportCheckpoint && options.workDir
            ? { exportCheckpoint: options.exportCheckpoint, workDir: path.join(options.workDir, `row-${i}`) }
            : {}),
        });
        return { result };
      } catch (err) {
        if (typeof (err as { exitCode?: unknown }).exitCode === 'number')
          return { error: { name: row.name, message: (err as Error).message } };
        throw err;
      }
    },
  );
  const results = outcomes.flatMap((o): ValidationResult[] => ('result' in o ? [o.result] : []));
  const errors = outcomes.flatMap((o) => ('error' in o ? [o.error] : []));
  const before = await readBaseline(suite.baseline);
  const regressions = before ? compareToBaseline(results, before, suite.slack) : [];
  const clean = !errors.length && !regressions.length && results.every((r) => r.verdict === 'pass');
  const write = options.updateBaseline === true || clean;
  if (write) await writeBaseline(suite.baseline, toBaseline(results));
  return { suite, results, errors, regressions, baselineFound: before !== null, baselineWritten: write };
}
