import type { Regression } from './baseline.js';
import type { ValidationResult } from './validate.js';

const fmtCos = (v: number | undefined): string => (v === undefined ? '-' : Number.isFinite(v) ? v.toFixed(7) : 'NaN');
const fmtSci = (v: number | undefined): string =>
  v === undefined ? '-' : Number.isFinite(v) ? v.toExponential(1) : 'NaN';

/** A plain-text table, one line per row: verdict, profile, worst cosine and relL2 per tower, regressions. */
export function summaryTable(
  results: ValidationResult[],
  regressions: Regression[] = [],
  errors: Array<{ name: string; message: string }> = [],
): string {
  const head = ['model', 'verdict', 'profile', 'cos img', 'cos txt', 'relL2 img', 'relL2 txt', 'regr'];
  const rows = results.map((r) => {
    const t = (x: 'image' | 'text') => r.towers.find((m) => m.tower === x);
    return [
      r.name,
      r.verdict.toUpperCase(),
      r.profile.name,
      fmtCos(t('image')?.minCosine),
      fmtCos(t('text')?.minCosine),
      fmtSci(t('image')?.maxRelL2),
      fmtSci(t('text')?.maxRelL2),
      String(regressions.filter((g) => g.row === r.name).length),
    ];
  });
  for (const e of errors) rows.push([e.name, 'ERROR', '-', '-', '-', '-', '-', '-']);
  const widths = head.map((h, i) => rows.reduce((w, r) => Math.max(w, (r[i] as string).length), h.length));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}
