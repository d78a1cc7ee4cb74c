import { finiteExtent } from './extent.js';
import type { TowerMetrics } from './metrics.js';
import type { DifferenceHistogram } from './similarity.js';

/** Tiny SVG builders for the HTML report: no dependencies, no network, deterministic output. */

export const escXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const num = (v: number): string => (Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v));
const FLOOR = 1e-9;
const log = (v: number): number => Math.log10(Math.max(FLOOR, v));
// Counts of thousands of samples or billions of pairs must fit the narrow axis margin.
const countLabel = (c: number): string => (c >= 1e4 ? c.toExponential(1).replace('e+', 'e') : String(c));

/**
 * Per-tower error bars: per-sample relative L2 error on a log axis, the mean as a dot, the min-max range
 * as a whisker, and the profile's limit as a dashed line.
 */
export function errorBarChart(towers: TowerMetrics[], limit: number): string {
  const w = 320;
  const h = 200;
  const left = 56;
  const bottom = 30;
  const top = 16;
  const lo = -9;
  const hi = 0;
  const y = (v: number): number => top + ((hi - log(v)) / (hi - lo)) * (h - top - bottom);
  const parts: string[] = [];
  for (let e = lo; e <= hi; e += 3) {
    parts.push(`<line x1="${left}" x2="${w - 8}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${y(10 ** e) + 4}" text-anchor="end" class="tick">1e${e}</text>`);
  }
  const step = (w - left - 8) / Math.max(1, towers.length);
  towers.forEach((t, i) => {
    const cx = left + step * (i + 0.5);
    const rel = t.samples.map((s) => s.relL2).filter(Number.isFinite);
    const extent = finiteExtent(rel);
    const min = rel.length ? extent.min : FLOOR;
    const max = rel.length ? extent.max : 1;
    const mean = rel.length ? rel.reduce((a, b) => a + b, 0) / rel.length : 1;
    const fail = !(t.maxRelL2 <= limit) || t.nonFinite > 0;
    parts.push(
      `<g class="bar ${fail ? 'fail' : 'pass'}" data-tower="${t.tower}"><title>${t.tower}: relL2 min ${num(min)}, mean ${num(mean)}, max ${num(max)}</title>` +
        `<line x1="${cx}" x2="${cx}" y1="${y(max)}" y2="${y(min)}" class="whisker"/>` +
        `<line x1="${cx - 10}" x2="${cx + 10}" y1="${y(max)}" y2="${y(max)}" class="whisker"/>` +
        `<line x1="${cx - 10}" x2="${cx + 10}" y1="${y(min)}" y2="${y(min)}" class="whisker"/>` +
        `<circle cx="${cx}" cy="${y(mean)}" r="5" class="dot"/></g>`,
    );
    parts.push(`<text x="${cx}" y="${h - 10}" text-anchor="middle" class="label">${t.tower}</text>`);
  });
  parts.push(
    `<line x1="${left}" x2="${w - 8}" y1="${y(limit)}" y2="${y(limit)}" class="limit"><title>limit ${num(limit)}</title></line>`,
  );
  return `<svg class="chart errorbars" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="relative L2 error per tower">${parts.join('')}<text x="8" y="12" class="axis">relative L2 error per sample (log)</text></svg>`;
}

/** A 200-px-high histogram's plot area: bars stand on y = h - bottom and reach up to y = top. */
interface HistogramFrame {
  w: number;
  h: number;
  left: number;
  bottom: number;
  top: number;
}

const histogramFrame = (w: number, left: number): HistogramFrame => ({ w, h: 200, left, bottom: 36, top: 20 });

/** The count axis of a histogram: the peak count at the top, 0 at the base. */
function countAxis(f: HistogramFrame, peak: number): string {
  return `<text x="${f.left - 6}" y="${f.top + 4}" text-anchor="end" class="tick">${countLabel(peak)}</text><text x="${f.left - 6}" y="${f.h - f.bottom}" text-anchor="end" class="tick">0</text>`;
}

/** A profile limit drawn across a histogram at x. */
function limitLine(f: HistogramFrame, x: number, title: string): string {
  return `<line x1="${x}" x2="${x}" y1="${f.top}" y2="${f.h - f.bottom}" class="limit"><title>${title}</title></line>`;
}

/** Histogram of per-sample cosine similarity, binned by its number of nines: log10(1 - cosine). */
export function cosineHistogram(t: TowerMetrics, minCosine: number): string {
  const frame = histogramFrame(320, 36);
  const { w, h, left, bottom, top } = frame;
  const bins = new Array<number>(10).fill(0);
  let nonFinite = 0;
  for (const s of t.samples) {
    if (!Number.isFinite(s.cosine)) {
      nonFinite++;
      continue;
    }
    const b = Math.min(9, Math.max(0, Math.floor(-log(1 - s.cosine))));
    bins[b] = (bins[b] as number) + 1;
  }
  const peak = bins.reduce((a, b) => Math.max(a, b), 1);
  const bw = (w - left - 8) / bins.length;
  const parts: string[] = [];
  bins.forEach((c, i) => {
    const bh = ((h - top - bottom) * c) / peak;
    const x = left + i * bw;
    const lo = 1 - 10 ** -i;
    const cls = lo >= minCosine ? 'pass' : 'fail';
    parts.push(
      `<rect x="${x + 1}" y="${h - bottom - bh}" width="${bw - 2}" height="${Math.max(bh, c ? 1 : 0)}" class="hist ${cls}"><title>${c} sample(s) with 1-cos in [1e-${i + 1}, 1e-${i}]</title></rect>`,
    );
    if (i % 3 === 0)
      parts.push(
        `<text x="${x + bw / 2}" y="${h - bottom + 14}" text-anchor="middle" class="tick">${i === 0 ? '0' : `1-1e-${i}`}</text>`,
      );
  });
  const limitBin = Math.min(10, -log(1 - minCosine));
  parts.push(limitLine(frame, left + limitBin * bw, `min cosine ${minCosine}`));
  parts.push(
    `<text x="${left}" y="${h - 8}" class="axis">cosine (bins by nines)${nonFinite ? `, ${nonFinite} NaN` : ''}</text>`,
  );
  parts.push(countAxis(frame, peak));
  return `<svg class="chart histogram" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${t.tower} cosine histogram"><text x="8" y="12" class="axis">${t.tower}: per-sample cosine</text>${parts.join('')}</svg>`;
}

function color(v: number, lo: number, hi: number, diverging: boolean): string {
  if (!Number.isFinite(v)) return '#ff00ff';
  if (diverging) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    const a = Math.max(-1, Math.min(1, v / m));
    const r = a > 0 ? 255 : Math.round(255 * (1 + a));
    const b = a < 0 ? 255 : Math.round(255 * (1 - a));
    const g = Math.round(255 * (1 - Math.abs(a)));
    return `rgb(${r},${g},${b})`;
  }
  const a = hi > lo ? (v - lo) / (hi - lo) : 0.5;
  // dark blue -> yellow, readable in print
  return `rgb(${Math.round(30 + 220 * a)},${Math.round(40 + 190 * a)},${Math.round(120 - 80 * a)})`;
}

/** An N x N heatmap of a similarity matrix (rows: images, columns: texts). */
export function heatmap(title: string, m: number[][], range: [number, number], diverging: boolean): string {
  const n = m.length;
  const size = 180;
  const off = 24;
  const cell = size / Math.max(1, n);
  const parts: string[] = [];
  m.forEach((row, i) =>
    row.forEach((v, j) => {
      parts.push(
        `<rect x="${off + j * cell}" y="${off + i * cell}" width="${cell}" height="${cell}" fill="${color(v, range[0], range[1], diverging)}" class="cell"><title>image ${i}, text ${j}: ${num(v)}</title></rect>`,
      );
    }),
  );
  return (
    `<svg class="chart heatmap" viewBox="0 0 ${size + off + 8} ${size + off + 22}" width="${size + off + 8}" height="${size + off + 22}" role="img" aria-label="${escXml(title)}">` +
    `<text x="${off}" y="14" class="axis">${escXml(title)}</text>${parts.join('')}` +
    `<text x="${off}" y="${size + off + 16}" class="tick">${diverging ? `±${num(Math.max(Math.abs(range[0]), Math.abs(range[1])))}` : `${num(range[0])} .. ${num(range[1])}`}</text></svg>`
  );
}

/**
 * Histogram of |Δ cos-sim| over every image-text pair, one bar per power of two (log axis), with the
 * profile's limit: how a large similarity matrix changed, without drawing n x n cells.
 */
export function differenceHistogram(hist: DifferenceHistogram, limit: number): string {
  const frame = histogramFrame(420, 44);
  const { w, h, left, bottom, top } = frame;
  // Bins that hold anything, plus one each side, so the picture zooms to the populated decades.
  const used = hist.counts.flatMap((c, k) => (c > 0 ? [k] : []));
  const first = used.length ? Math.max(0, (used[0] as number) - 1) : 0;
  const last = used.length ? Math.min(hist.counts.length - 1, (used[used.length - 1] as number) + 1) : 0;
  const shown = hist.counts.slice(first, last + 1);
  const peak = shown.reduce((a, b) => Math.max(a, b), 1);
  const bw = (w - left - 8) / Math.max(1, shown.length);
  const edge = (k: number): number => 2 ** (hist.log2Min + first + k);
  const parts: string[] = [];
  shown.forEach((c, k) => {
    const bh = ((h - top - bottom) * Math.log1p(c)) / Math.log1p(peak);
    const x = left + k * bw;
    const cls = edge(k) < limit ? 'pass' : 'fail';
    parts.push(
      `<rect x="${x + 1}" y="${h - bottom - bh}" width="${Math.max(1, bw - 2)}" height="${Math.max(bh, c ? 1 : 0)}" class="hist ${cls}"><title>${c} pair(s) with |Δcos| in [${num(edge(k))}, ${num(edge(k + 1))})</title></rect>`,
    );
    if (k % Math.max(1, Math.ceil(shown.length / 6)) === 0)
      parts.push(
        `<text x="${x}" y="${h - bottom + 14}" text-anchor="middle" class="tick">${edge(k).toExponential(0)}</text>`,
      );
  });
  if (limit > 0) {
    const at = left + (Math.log2(limit) - hist.log2Min - first) * bw;
    if (at >= left && at <= w - 8) parts.push(limitLine(frame, at, `max Δcos-sim ${num(limit)}`));
  }
  const extra = [hist.zero ? `${hist.zero} exact` : '', hist.nonFinite ? `${hist.nonFinite} NaN` : '']
    .filter(Boolean)
    .join(', ');
  parts.push(
    `<text x="${left}" y="${h - 8}" class="axis">|Δ cos-sim| per pair (log2 bins, log count)${extra ? `; ${extra}` : ''}</text>`,
  );
  parts.push(countAxis(frame, peak));
  return `<svg class="chart histogram similarity" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="similarity difference histogram"><text x="8" y="12" class="axis">image-text similarity: |Δ| over all pairs</text>${parts.join('')}</svg>`;
}
