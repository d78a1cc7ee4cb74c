import { pipeline } from 'node:stream/promises';
import { parseValidationSummary, VALIDATION_SUMMARY_FILE, type StoredValidationSummary } from '@cliphub/hub';
import { assertCanRead } from '../auth.js';
import { HubError, entryNotFound } from '../errors.js';
import { repoId, type RouteContext } from '../router.js';
import type { Commit } from '../store.js';
import { html, type SafeHtml } from './html.js';
import { readSmallFile } from './repo-file.js';

/** The summary `cliphub push --validation` commits beside the card (a ValidationSummary of @cliphub/hub, as JSON). */
export const VALIDATION_FILE = VALIDATION_SUMMARY_FILE;
/** An HTML report (`cliphub validate --html`) uploaded to the repo root. */
export const REPORT_FILE = 'report.html';
const SUMMARY_BYTES = 1024 * 1024;

/** What the page shows: the summary's verdict and figures, and whether a report.html is there. */
export interface ShownValidation extends Partial<
  Pick<StoredValidationSummary, 'passed' | 'summary' | 'profile' | 'reference'>
> {
  rows: StoredValidationSummary['rows'];
  checks: StoredValidationSummary['checks'];
  hasReport: boolean;
  /** Why the summary file could not be shown, when it is there but unreadable. */
  problem?: string;
}

/** Reads the summary defensively (it is user input like the card); null when the repo holds neither file. */
export async function readValidationSummary(c: RouteContext, commit: Commit): Promise<ShownValidation | null> {
  const entry = commit.files.get(VALIDATION_FILE);
  const hasReport = commit.files.has(REPORT_FILE);
  if (!entry && !hasReport) return null;
  if (!entry) return { rows: [], checks: [], hasReport };
  const raw = await readSmallFile(c, entry, SUMMARY_BYTES);
  let parsed: unknown;
  try {
    parsed = raw === null ? null : JSON.parse(raw);
  } catch {
    parsed = null;
  }
  const summary = parseValidationSummary(parsed);
  if (!summary)
    return {
      rows: [],
      checks: [],
      hasReport,
      problem: `${VALIDATION_FILE} is not a cliphub validation summary (or is over 1 MiB)`,
    };
  return { ...summary, hasReport };
}

/** Full precision in the attribute (for tools and tests), a readable form in the text. */
function figure(x: number | undefined): SafeHtml {
  if (x === undefined) return html`<td>n/a</td>`;
  const shown = x === 0 ? '0' : Math.abs(x) < 1e-3 ? x.toExponential(3) : x.toFixed(6);
  return html`<td data-value="${String(x)}">${shown}</td>`;
}

/** A table with one header row over `rows` (its <tr> elements); nothing when there are no rows. */
function resultTable(attributes: SafeHtml, headers: string[], rows: SafeHtml[]): SafeHtml | '' {
  if (rows.length === 0) return '';
  return html`<table ${attributes}>
    <thead>
      <tr>
        ${headers.map((h) => html`<th>${h}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}

export function validationSection(c: RouteContext, commit: Commit, v: ShownValidation): SafeHtml {
  const named = v.rows.some((r) => r.artifact);
  const verdict =
    v.passed === undefined
      ? ''
      : html`<p class="verdict ${v.passed ? 'pass' : 'fail'}" id="verdict" data-passed="${String(v.passed)}">
          cliphub validate: <strong>${v.passed ? 'passed' : 'FAILED'}</strong>${v.summary ? html` (${v.summary})` : ''}
        </p>`;
  const context = [v.reference && `reference ${v.reference}`, v.profile && `tolerance profile ${v.profile}`].filter(
    Boolean,
  );
  return html`<section id="validation">
    <h2>Validation</h2>
    ${v.problem ? html`<p class="error">${v.problem}</p>` : ''}${verdict}
    ${context.length ? html`<p>Compared with ${context.join(', under ')}.</p>` : ''}
    ${resultTable(
      html`class="validation-rows" id="validation-rows"`,
      [...(named ? ['Artifact'] : []), 'Tower', 'Min cosine', 'Mean cosine', 'Max abs diff', 'Max rel L2', 'Result'],
      v.rows.map(
        (r) =>
          html`<tr data-tower="${r.tower}">
            ${named ? html`<td>${r.artifact ?? ''}</td>` : ''}
            <td>${r.tower}</td>
            ${figure(r.minCosine)}${figure(r.meanCosine)}${figure(r.maxAbsDiff)}${figure(r.maxRelL2)}
            <td>${r.passed === undefined ? '' : r.passed ? 'pass' : 'fail'}</td>
          </tr>`,
      ),
    )}
    ${resultTable(
      html`class="validation-checks"`,
      ['Check', 'Result', 'Detail'],
      v.checks.map(
        (k) =>
          html`<tr>
            <td>${k.name}</td>
            <td>${k.passed ? 'pass' : 'fail'}</td>
            <td>${k.detail ?? ''}</td>
          </tr>`,
      ),
    )}
    ${
      v.hasReport
        ? html`<p><a href="/${c.repo}/report/${commit.id}" id="report-link">Open the full HTML report</a></p>
            <iframe
              class="report"
              id="report-frame"
              title="validation report"
              sandbox
              src="/${c.repo}/report/${commit.id}"
            ></iframe>`
        : ''
    }
  </section>`;
}

/**
 * GET /{ns}/{name}/report/{rev}: the uploaded report.html, under a sandbox CSP (no scripts, no requests
 * out, no same-origin access), framed only by this server's pages.
 */
export async function reportPage(c: RouteContext): Promise<void> {
  c.repo = repoId(c.params.ns, c.params.name);
  assertCanRead(c.who, c.repo, await c.hub.store.meta(c.repo));
  const commit = await c.hub.store.resolve(c.repo, c.params.rev as string);
  const entry = commit.files.get(REPORT_FILE);
  if (!entry) throw entryNotFound(REPORT_FILE);
  if (entry.size > 64 * 1024 * 1024)
    throw new HubError(413, 'PayloadTooLarge', 'report.html is over 64 MiB; download it instead');
  c.res.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(entry.size),
    'Content-Security-Policy':
      "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; frame-ancestors 'self'",
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  });
  await pipeline(c.hub.store.readStream(c.repo, entry), c.res);
}
