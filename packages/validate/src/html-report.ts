import type { Regression } from './baseline.js';
import { finiteExtent, quantiles } from './extent.js';
import type { TowerMetrics } from './metrics.js';
import type { SimilarityMetrics } from './similarity.js';
import { cosineHistogram, differenceHistogram, errorBarChart, escXml, heatmap } from './svg-charts.js';
import type { ValidationResult } from './validate.js';

const num = (v: number): string => (Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v));

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:20px}h2{font-size:16px;margin:0 0 8px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
.badge{display:inline-block;padding:1px 8px;border-radius:8px;color:#fff;font-weight:600}
.badge.pass{background:#2e7d32}.badge.fail{background:#c62828}
section.model{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px;margin:12px 0}
.figs{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
.chart{background:#fff;border:1px solid #eee}.grid{stroke:#eee}.tick,.label,.axis{font-size:10px;fill:#555}
.whisker{stroke:#333;stroke-width:2}.bar.pass .dot{fill:#2e7d32}.bar.fail .dot{fill:#c62828}
.limit{stroke:#c62828;stroke-dasharray:4 3}.hist.pass{fill:#66bb6a}.hist.fail{fill:#ef5350}
.diag{color:#c62828;font-weight:600}.notes{color:#777}tr.fail td{background:#ffebee}
.regression{color:#c62828}`;

// Only interaction: hide passing models; the figures are static SVG so the report works without JS.
const JS = `document.getElementById('failonly').addEventListener('change',function(e){
document.querySelectorAll('section.model.pass').forEach(function(s){s.style.display=e.target.checked?'none':''});});`;

const TOWER_QUANTILES = [0, 0.001, 0.01, 0.5, 1];
const qLabel = (q: number): string => (q === 0 ? 'min' : q === 1 ? 'max' : `p${Number((q * 100).toPrecision(3))}`);

/** Per-tower quantiles of cosine and relL2, and the similarity summary: readable at any n. */
function summaryTables(towers: TowerMetrics[], sim: SimilarityMetrics | null): string {
  const head = TOWER_QUANTILES.map((q) => `<th>${qLabel(q)}</th>`).join('');
  const row = (label: string, values: number[]): string =>
    `<tr><td>${label}</td>${values.map((v) => `<td>${num(v)}</td>`).join('')}</tr>`;
  const towerRows = towers
    .map(
      (t) =>
        row(
          `${t.tower} cosine`,
          quantiles(
            t.samples.map((x) => x.cosine),
            TOWER_QUANTILES,
          ),
        ) +
        row(
          `${t.tower} relL2`,
          quantiles(
            t.samples.map((x) => x.relL2),
            TOWER_QUANTILES,
          ),
        ),
    )
    .join('');
  const towerTable = `<table class="quantiles"><tr><th>per sample</th>${head}</tr>${towerRows}</table>`;
  if (!sim) return towerTable;
  const simRows = [
    [
      'pairs',
      `${sim.pairs} (Spearman over ${sim.spearmanPairs === sim.pairs ? 'all' : `${sim.spearmanPairs} evenly strided`})`,
    ],
    ['argmax image→text / text→image', `${num(sim.argmaxImageToText)} / ${num(sim.argmaxTextToImage)}`],
    ['Spearman (raw)', `${num(sim.spearman)} (${num(sim.raw.spearman)})`],
    ['max |Δ cos-sim|', num(sim.maxCosSimDiff)],
    ...sim.cosSimDiffQuantiles.map(({ q, value }) => [`|Δ cos-sim| ${qLabel(q)}`, num(value)]),
  ]
    .map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`)
    .join('');
  return `${towerTable}<table class="similarity"><tr><th>image-text similarity</th><th></th></tr>${simRows}</table>`;
}

function modelSection(r: ValidationResult, regressions: Regression[], index: number): string {
  const sim = r.similarity;
  const rows = r.checks
    .map(
      (c) =>
        `<tr class="${c.pass ? 'pass' : 'fail'}"><td>${escXml(c.id)}</td><td>${num(c.value)}</td><td>${c.higherIsBetter ? '&ge;' : '&le;'} ${num(c.limit)}</td><td>${c.pass ? 'ok' : 'FAIL'}</td></tr>`,
    )
    .join('');
  const figs = [
    errorBarChart(r.towers, r.profile.maxRelL2),
    ...r.towers.map((t) => cosineHistogram(t, r.profile.minCosine)),
  ];
  if (sim?.reference && sim.candidate && sim.difference) {
    const logits = finiteExtent([...sim.reference.flat(), ...sim.candidate.flat()]);
    const range: [number, number] = [logits.min, logits.max];
    const d = Math.max(1e-12, finiteExtent(sim.difference.flat().map(Math.abs)).max || 0);
    figs.push(
      heatmap('reference logits', sim.reference, range, false),
      heatmap('candidate logits', sim.candidate, range, false),
      heatmap('difference', sim.difference, [-d, d], true),
    );
  } else if (sim) {
    // Too many pairs to draw: the histogram of every pair's change stands in for the heatmaps.
    figs.push(differenceHistogram(sim.cosSimDiffHistogram, r.profile.maxCosSimDiff));
  }
  const regs = regressions.filter((x) => x.row === r.name);
  return `<section class="model ${r.verdict}" id="m${index}">
<h2><span class="badge ${r.verdict}">${r.verdict.toUpperCase()}</span> ${escXml(r.name)}</h2>
<div>artifact: ${escXml(r.artifact.spec)} (${escXml(r.artifact.label)}, ${r.artifact.precision}) &middot; reference: ${escXml(r.reference.path)} [${escXml(r.reference.against)}] &middot; profile: ${escXml(r.profile.name)} &middot; ${r.reference.n} samples, dim ${r.reference.embedDim}</div>
${r.diagnosis.map((d) => `<p class="diag">${escXml(d.message)}</p>`).join('')}
${regs.map((x) => `<p class="regression">regression: ${escXml(x.message)}</p>`).join('')}
${r.artifact.notes.length ? `<p class="notes">${r.artifact.notes.map(escXml).join('; ')}</p>` : ''}
<div class="figs">${figs.join('')}</div>
${summaryTables(r.towers, sim)}
<details><summary>checks (${r.checks.filter((c) => !c.pass).length} failed of ${r.checks.length})</summary><table><tr><th>check</th><th>value</th><th>limit</th><th></th></tr>${rows}</table></details>
</section>`;
}

/** A self-contained HTML report (inline CSS, SVG and JS; nothing fetched) for one or many validations. */
export function toHtmlReport(
  results: ValidationResult[],
  options: { title?: string; regressions?: Regression[]; errors?: Array<{ name: string; message: string }> } = {},
): string {
  const regressions = options.regressions ?? [];
  const title = options.title ?? 'cliphub validate report';
  const summary = results
    .map((r, i) => {
      const t = (tw: string): string => num(r.towers.find((x) => x.tower === tw)?.minCosine ?? NaN);
      const reg = regressions.filter((x) => x.row === r.name).length;
      return `<tr class="${r.verdict}"><td><a href="#m${i}">${escXml(r.name)}</a></td><td><span class="badge ${r.verdict}">${r.verdict}</span></td><td>${escXml(r.profile.name)}</td><td>${t('image')}</td><td>${t('text')}</td><td>${reg ? `<span class="regression">${reg}</span>` : '0'}</td></tr>`;
    })
    .join('');
  const errors = (options.errors ?? [])
    .map((e) => `<tr class="fail"><td>${escXml(e.name)}</td><td colspan="5">error: ${escXml(e.message)}</td></tr>`)
    .join('');
  const passed = results.filter((r) => r.verdict === 'pass').length;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escXml(title)}</title><style>${CSS}</style></head>
<body><h1>${escXml(title)}</h1>
<p>${passed} of ${results.length + (options.errors?.length ?? 0)} passed${regressions.length ? `, <span class="regression">${regressions.length} regression(s) against the baseline</span>` : ''}. <label><input type="checkbox" id="failonly"> failures only</label></p>
<table id="summary"><tr><th>model</th><th>verdict</th><th>profile</th><th>min cos image</th><th>min cos text</th><th>regressions</th></tr>${summary}${errors}</table>
${results.map((r, i) => modelSection(r, regressions, i)).join('\n')}
<script>${JS}</script></body></html>
`;
}
