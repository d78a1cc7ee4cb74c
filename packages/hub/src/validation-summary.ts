import { HubClientError } from './errors.js';

/** The repo file `cliphub push --validation` writes the summary to (as JSON), beside the card. */
export const VALIDATION_SUMMARY_FILE = 'cliphub-validation.json';

/** One tower of one validated artifact, as the model card shows it. */
export interface ValidationRow {
  /** The artifact's name in the report (e.g. the ONNX folder), when the report names it. */
  artifact?: string;
  tower: string;
  minCosine?: number;
  meanCosine?: number;
  maxAbsDiff?: number;
  maxRelL2?: number;
  /** Whether every check of this tower passed, when the report lists checks. */
  passed?: boolean;
}

/** What a model card says about a `cliphub validate` run. */
export interface ValidationSummary {
  passed: boolean;
  /** One line, e.g. "2 towers compared; image-text ranking identical". */
  summary?: string;
  /** Tolerance profile(s), e.g. "fp32". */
  profile?: string;
  /** The reference compared against, e.g. "reference.safetensors (cpu_fp32, ViT-B-32)". */
  reference?: string;
  rows?: ValidationRow[];
  /** Failed checks (and any other checks the caller wants listed). */
  checks?: Array<{ name: string; passed: boolean; detail?: string }>;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
// JSON has no NaN: the validator writes null for a NaN metric, which we keep as "absent".
const num = (...xs: unknown[]): number | undefined =>
  xs.find((x): x is number => typeof x === 'number' && Number.isFinite(x));
const str = (...xs: unknown[]): string | undefined =>
  xs.find((x): x is string => typeof x === 'string' && x.length > 0);
// Only the file name: a local absolute path says nothing to readers and may reveal a home folder.
const base = (p: string): string => p.split(/[\\/]/).pop() || p;

function bad(source: string, why: string): HubClientError {
  return new HubClientError(
    'BAD_VALIDATION_REPORT',
    `${source} is not a 'cliphub validate --json' report (${why}); pass the file that command wrote`,
  );
}

function verdictOf(v: unknown, source: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === 'pass') return true;
  if (v === 'fail') return false;
  if (v === 'error')
    throw new HubClientError(
      'VALIDATION_ERRORED',
      `${source} records a validation that errored, not a verdict; fix the run and validate again`,
    );
  throw bad(source, `verdict is ${JSON.stringify(v)}, expected "pass" or "fail"`);
}

/** Towers as an array of {tower, ...metrics} or as a map {image: {...}, text: {...}}. */
function towersOf(r: Obj): Array<[string, Obj]> {
  const t = r.towers;
  if (Array.isArray(t)) return t.filter(isObj).map((x, i) => [str(x.tower, x.name) ?? `tower ${i + 1}`, x]);
  if (isObj(t)) return Object.entries(t).filter((e): e is [string, Obj] => isObj(e[1]));
  return [];
}

function checksOf(r: Obj): Array<{ id: string; group?: string; pass: boolean; value?: number; limit?: number }> {
  if (!Array.isArray(r.checks)) return [];
  return r.checks.filter(isObj).flatMap((c) => {
    const pass = typeof c.pass === 'boolean' ? c.pass : typeof c.passed === 'boolean' ? c.passed : undefined;
    const id = str(c.id, c.name);
    if (pass === undefined || !id) return [];
    return [{ id, group: str(c.group) ?? id.split('.')[0], pass, value: num(c.value), limit: num(c.limit) }];
  });
}

const fmt = (x: number): string =>
  Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? String(Number(x.toPrecision(6))) : x.toExponential(2);

/**
 * Reads a `cliphub validate --json` report ({verdict, results: [...]}) or a single result
 * ({verdict, towers, checks, profile, reference}) defensively: metric names in camelCase or
 * snake_case, towers as a list or a map, NaN metrics as null. Anything without a pass/fail
 * verdict is refused, so a wrong file never turns into a card that claims validation.
 */
export function summarizeValidation(report: unknown, source = 'the validation report'): ValidationSummary {
  if (!isObj(report)) throw bad(source, 'not a JSON object');
  const results: Obj[] = Array.isArray(report.results)
    ? report.results.filter(isObj)
    : 'towers' in report || 'checks' in report
      ? [report]
      : [];
  const top = verdictOf(report.verdict, source);
  if (Array.isArray(report.results) && results.length === 0) {
    const errs = Array.isArray(report.errors)
      ? report.errors
          .filter(isObj)
          .map((e) => str(e.message))
          .filter(Boolean)
      : [];
    throw new HubClientError(
      'VALIDATION_ERRORED',
      `${source} holds no results${errs.length ? ` (errors: ${errs.join('; ')})` : ''}; validate again`,
    );
  }
  if (results.length === 0) throw bad(source, 'no "results", "towers" or "checks"');
  const perResult = results.map((r) => verdictOf(r.verdict, source));
  if (top === undefined && perResult.some((v) => v === undefined)) throw bad(source, 'no "verdict"');
  const passed = top ?? perResult.every(Boolean);

  const rows: ValidationRow[] = [];
  const failed: NonNullable<ValidationSummary['checks']> = [];
  const profiles = new Set<string>();
  const references = new Set<string>();
  let similarity: string | undefined;
  for (const r of results) {
    const artifact = results.length > 1 ? str(r.name, isObj(r.artifact) ? r.artifact.label : undefined) : undefined;
    const checks = checksOf(r);
    for (const [tower, m] of towersOf(r)) {
      const mine = checks.filter((c) => c.group === tower);
      rows.push({
        ...(artifact && { artifact }),
        tower,
        minCosine: num(m.minCosine, m.min_cosine),
        meanCosine: num(m.meanCosine, m.mean_cosine),
        maxAbsDiff: num(m.maxAbs, m.max_abs, m.maxAbsDiff, m.max_abs_diff),
        maxRelL2: num(m.maxRelL2, m.max_rel_l2),
        ...(mine.length && { passed: mine.every((c) => c.pass) }),
      });
    }
    for (const c of checks.filter((x) => !x.pass))
      failed.push({
        name: `${artifact ? `${artifact}: ` : ''}${c.id}`,
        passed: false,
        ...(c.value !== undefined && c.limit !== undefined && { detail: `${fmt(c.value)} (limit ${fmt(c.limit)})` }),
      });
    const p = str(r.profile, isObj(r.profile) ? r.profile.name : undefined);
    if (p) profiles.add(p);
    const ref = r.reference;
    if (typeof ref === 'string') references.add(base(ref));
    else if (isObj(ref) && str(ref.path)) {
      const extra = [str(ref.against), str(ref.modelName, ref.model_name)].filter(Boolean);
      references.add(`${base(ref.path as string)}${extra.length ? ` (${extra.join(', ')})` : ''}`);
    }
    const s = r.similarity;
    if (isObj(s) && results.length === 1) {
      const parts: string[] = [];
      const a = num(s.argmaxImageToText);
      const b = num(s.argmaxTextToImage);
      if (a !== undefined && b !== undefined)
        parts.push(`top-1 agreement ${fmt(a * 100)}% image->text, ${fmt(b * 100)}% text->image`);
      const rho = num(s.spearman);
      if (rho !== undefined) parts.push(`Spearman ${fmt(rho)}`);
      if (parts.length) similarity = `similarity: ${parts.join(', ')}`;
    }
  }
  const regressions = Array.isArray(report.regressions) ? report.regressions.length : 0;
  const bits = [
    results.length > 1 ? `${results.length} artifacts` : undefined,
    rows.length ? `${rows.length} tower${rows.length === 1 ? '' : 's'} compared` : undefined,
    similarity,
    regressions ? `${regressions} regression${regressions === 1 ? '' : 's'} against the baseline` : undefined,
  ].filter((b): b is string => !!b);
  return {
    passed,
    ...(bits.length && { summary: bits.join('; ') }),
    ...(profiles.size && { profile: [...profiles].join(', ') }),
    ...(references.size && { reference: [...references].join('; ') }),
    ...(rows.length && { rows }),
    ...(failed.length && { checks: failed }),
  };
}
