import { z } from 'zod';
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

/* Lenient pieces: a report or summary is user input, so a field of the wrong type reads as absent. */
// JSON has no NaN: the validator writes null for a NaN metric, and zod's number refuses null, NaN and Infinity.
const figure = z.number().optional().catch(undefined);
const label = z.string().min(1).optional().catch(undefined);
const flag = z.boolean().optional().catch(undefined);
/** A list whose entries that do not match are skipped; anything but a list fails (callers `.catch` it). */
const lenientList = <Item extends z.ZodType>(item: Item) =>
  z.array(z.unknown()).transform((entries) =>
    entries.flatMap((entry) => {
      const parsed = item.safeParse(entry);
      return parsed.success ? [parsed.data as z.output<Item>] : [];
    }),
  );
// Only the file name: a local absolute path says nothing to readers and may reveal a home folder.
const base = (p: string): string => p.split(/[\\/]/).pop() || p;

/** One tower's metrics, in camelCase or snake_case. */
const towerMetricsSchema = z
  .object({
    tower: label,
    name: label,
    minCosine: figure,
    min_cosine: figure,
    meanCosine: figure,
    mean_cosine: figure,
    maxAbs: figure,
    max_abs: figure,
    maxAbsDiff: figure,
    max_abs_diff: figure,
    maxRelL2: figure,
    max_rel_l2: figure,
  })
  .transform((m) => ({
    name: m.tower ?? m.name,
    minCosine: m.minCosine ?? m.min_cosine,
    meanCosine: m.meanCosine ?? m.mean_cosine,
    maxAbsDiff: m.maxAbs ?? m.max_abs ?? m.maxAbsDiff ?? m.max_abs_diff,
    maxRelL2: m.maxRelL2 ?? m.max_rel_l2,
  }));
type TowerMetrics = z.output<typeof towerMetricsSchema>;

/** Towers as an array of {tower, ...metrics} or as a map {image: {...}, text: {...}}, as [name, metrics] pairs. */
const towersSchema = z
  .union([
    lenientList(towerMetricsSchema).transform((towers) =>
      towers.map((m, i): [string, TowerMetrics] => [m.name ?? `tower ${i + 1}`, m]),
    ),
    z
      .record(z.string(), towerMetricsSchema.optional().catch(undefined))
      .transform((towers) => Object.entries(towers).filter((e): e is [string, TowerMetrics] => e[1] !== undefined)),
  ])
  .catch([]);

/** A check with an id (or name) and a pass (or passed) flag; others are skipped. Its group defaults to the id's prefix. */
const checkSchema = z
  .object({ id: label, name: label, group: label, pass: flag, passed: flag, value: figure, limit: figure })
  .transform((c, ctx) => {
    const id = c.id ?? c.name;
    const pass = c.pass ?? c.passed;
    if (id === undefined || pass === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a check needs an id and a pass flag' });
      return z.NEVER;
    }
    return { id, group: c.group ?? id.split('.')[0], pass, value: c.value, limit: c.limit };
  });

/** One `cliphub validate` result; every field but the verdict reads leniently. */
const resultSchema = z.object({
  verdict: z.unknown().optional(),
  name: label,
  artifact: z.object({ label }).optional().catch(undefined),
  profile: z
    .union([z.string().min(1), z.object({ name: z.string().min(1) }).transform((p) => p.name)])
    .optional()
    .catch(undefined),
  reference: z
    .union([
      z.string().transform(base),
      z.object({ path: z.string().min(1), against: label, modelName: label, model_name: label }).transform((ref) => {
        const extra = [ref.against, ref.modelName ?? ref.model_name].filter(Boolean);
        return `${base(ref.path)}${extra.length ? ` (${extra.join(', ')})` : ''}`;
      }),
    ])
    .optional()
    .catch(undefined),
  similarity: z
    .object({ argmaxImageToText: figure, argmaxTextToImage: figure, spearman: figure })
    .optional()
    .catch(undefined),
  towers: towersSchema,
  checks: lenientList(checkSchema).catch([]),
});

/** The `cliphub validate --json` report around the results. */
const reportSchema = z.object({
  verdict: z.unknown().optional(),
  results: lenientList(resultSchema).optional().catch(undefined),
  errors: lenientList(z.object({ message: z.string().min(1) })).catch([]),
  regressions: z.array(z.unknown()).catch([]),
});

/** A summary row as the repo file stores it; a row without a tower name shows '?'. */
const storedRowSchema = z.object({
  artifact: label,
  tower: label.transform((tower) => tower ?? '?'),
  minCosine: figure,
  meanCosine: figure,
  maxAbsDiff: figure,
  maxRelL2: figure,
  passed: flag,
}) satisfies z.ZodType<ValidationRow>;

/** VALIDATION_SUMMARY_FILE as a repo holds it: user input like the card, so only `passed` is required. */
const storedSummarySchema = z.object({
  passed: z.boolean(),
  summary: label,
  profile: label,
  reference: label,
  rows: lenientList(storedRowSchema).catch([]),
  checks: lenientList(z.object({ name: z.string().min(1), passed: z.boolean(), detail: label })).catch([]),
}) satisfies z.ZodType<ValidationSummary>;

/** A stored summary with every list present (possibly empty). */
export type StoredValidationSummary = z.output<typeof storedSummarySchema>;

/**
 * Reads a parsed VALIDATION_SUMMARY_FILE leniently: rows and checks that do not fit are skipped, fields of the
 * wrong type read as absent; undefined when it has no boolean `passed` (not a summary).
 */
export function parseValidationSummary(json: unknown): StoredValidationSummary | undefined {
  const parsed = storedSummarySchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

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

const fmt = (x: number): string =>
  Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? String(Number(x.toPrecision(6))) : x.toExponential(2);

/**
 * Reads a `cliphub validate --json` report ({verdict, results: [...]}) or a single result
 * ({verdict, towers, checks, profile, reference}) defensively: metric names in camelCase or
 * snake_case, towers as a list or a map, NaN metrics as null. Anything without a pass/fail
 * verdict is refused, so a wrong file never turns into a card that claims validation.
 */
export function summarizeValidation(report: unknown, source = 'the validation report'): ValidationSummary {
  const parsed = reportSchema.safeParse(report);
  if (!parsed.success) throw bad(source, 'not a JSON object');
  const { results: listed, errors, regressions } = parsed.data;
  const results =
    listed ?? ('towers' in (report as object) || 'checks' in (report as object) ? [resultSchema.parse(report)] : []);
  const top = verdictOf(parsed.data.verdict, source);
  if (listed && results.length === 0)
    throw new HubClientError(
      'VALIDATION_ERRORED',
      `${source} holds no results${errors.length ? ` (errors: ${errors.map((e) => e.message).join('; ')})` : ''}; validate again`,
    );
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
    const artifact = results.length > 1 ? (r.name ?? r.artifact?.label) : undefined;
    const checks = r.checks;
    for (const [tower, m] of r.towers) {
      const mine = checks.filter((c) => c.group === tower);
      rows.push({
        ...(artifact && { artifact }),
        tower,
        minCosine: m.minCosine,
        meanCosine: m.meanCosine,
        maxAbsDiff: m.maxAbsDiff,
        maxRelL2: m.maxRelL2,
        ...(mine.length && { passed: mine.every((c) => c.pass) }),
      });
    }
    for (const c of checks.filter((x) => !x.pass))
      failed.push({
        name: `${artifact ? `${artifact}: ` : ''}${c.id}`,
        passed: false,
        ...(c.value !== undefined && c.limit !== undefined && { detail: `${fmt(c.value)} (limit ${fmt(c.limit)})` }),
      });
    if (r.profile) profiles.add(r.profile);
    if (r.reference !== undefined) references.add(r.reference);
    const s = r.similarity;
    if (s && results.length === 1) {
      const parts: string[] = [];
      const a = s.argmaxImageToText;
      const b = s.argmaxTextToImage;
      if (a !== undefined && b !== undefined)
        parts.push(`top-1 agreement ${fmt(a * 100)}% image->text, ${fmt(b * 100)}% text->image`);
      const rho = s.spearman;
      if (rho !== undefined) parts.push(`Spearman ${fmt(rho)}`);
      if (parts.length) similarity = `similarity: ${parts.join(', ')}`;
    }
  }
  const bits = [
    results.length > 1 ? `${results.length} artifacts` : undefined,
    rows.length ? `${rows.length} tower${rows.length === 1 ? '' : 's'} compared` : undefined,
    similarity,
    regressions.length
      ? `${regressions.length} regression${regressions.length === 1 ? '' : 's'} against the baseline`
      : undefined,
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
