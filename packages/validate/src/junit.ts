import type { Regression } from './baseline.js';
import type { ValidationResult } from './validate.js';

export interface JunitRowError {
  name: string;
  message: string;
}

/** XML 1.0 forbids most control characters even when escaped; drop them. */
const xmlChars = (s: string): string =>
  [...s].filter((c) => c === '\t' || c === '\n' || c === '\r' || c.charCodeAt(0) >= 0x20).join('');
const esc = (s: string): string =>
  xmlChars(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );

const fmt = (v: number): string => (Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v));

interface Case {
  name: string;
  classname: string;
  time: number;
  failure?: { message: string; body: string };
  error?: string;
}

function casesOf(r: ValidationResult, regressions: Regression[]): Case[] {
  const cls = `cliphub.validate.${r.name.replace(/[^\w.-]+/g, '_')}`;
  const groups = [...new Set(r.checks.map((c) => c.group))];
  const per = r.seconds / Math.max(1, groups.length);
  const cases: Case[] = groups.map((g) => {
    const failed = r.checks.filter((c) => c.group === g && !c.pass);
    const label = g === 'similarity' ? 'similarity matrix' : `${g} tower`;
    const diag = r.diagnosis
      .filter((d) => d.tower === g || (g === 'similarity' && d.tower === null))
      .map((d) => d.message);
    return {
      name: `${label} (${r.profile.name} vs ${r.reference.against})`,
      classname: cls,
      time: per,
      ...(failed.length
        ? {
            failure: {
              message:
                diag[0] ??
                failed
                  .map((c) => `${c.id} = ${fmt(c.value)} (limit ${c.higherIsBetter ? '>=' : '<='} ${fmt(c.limit)})`)
                  .join('; '),
              body: [
                ...failed.map(
                  (c) => `${c.id} = ${fmt(c.value)}, limit ${c.higherIsBetter ? '>=' : '<='} ${fmt(c.limit)}`,
                ),
                ...diag,
              ].join('\n'),
            },
          }
        : {}),
    };
  });
  const mine = regressions.filter((x) => x.row === r.name);
  if (regressions.length || mine.length) {
    cases.push({
      name: 'no regression against baseline',
      classname: cls,
      time: 0,
      ...(mine.length
        ? {
            failure: {
              message: `${mine.length} metric(s) worse than the baseline`,
              body: mine.map((m) => m.message).join('\n'),
            },
          }
        : {}),
    });
  }
  return cases;
}

/** JUnit XML: one testsuite per model, one testcase per tower check (and per baseline comparison). */
export function toJunitXml(
  results: ValidationResult[],
  options: { regressions?: Regression[]; errors?: JunitRowError[]; suiteName?: string } = {},
): string {
  const regressions = options.regressions ?? [];
  const suites: Array<{ name: string; cases: Case[] }> = results.map((r) => ({
    name: r.name,
    cases: casesOf(r, regressions),
  }));
  for (const e of options.errors ?? [])
    suites.push({ name: e.name, cases: [{ name: 'run', classname: 'cliphub.validate', time: 0, error: e.message }] });
  let tests = 0;
  let failures = 0;
  let errors = 0;
  const body = suites.map((s) => {
    const f = s.cases.filter((c) => c.failure).length;
    const e = s.cases.filter((c) => c.error).length;
    const time = s.cases.reduce((a, c) => a + c.time, 0);
    tests += s.cases.length;
    failures += f;
    errors += e;
    const cases = s.cases.map((c) => {
      const open = `    <testcase name="${esc(c.name)}" classname="${esc(c.classname)}" time="${c.time.toFixed(3)}"`;
      if (c.failure)
        return `${open}>\n      <failure message="${esc(c.failure.message)}" type="tolerance">${esc(c.failure.body)}</failure>\n    </testcase>`;
      if (c.error) return `${open}>\n      <error message="${esc(c.error)}" type="bad-input"/>\n    </testcase>`;
      return `${open}/>`;
    });
    return `  <testsuite name="${esc(s.name)}" tests="${s.cases.length}" failures="${f}" errors="${e}" time="${time.toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${esc(options.suiteName ?? 'cliphub validate')}" tests="${tests}" failures="${failures}" errors="${errors}">\n${body.join('\n')}\n</testsuites>\n`;
}
