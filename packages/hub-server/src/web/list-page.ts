import type { RouteContext } from '../router.js';
import { modelQuery } from '../routes/list-models.js';
import { SafeHtml, escapeHtml, html } from './html.js';
import { layout, sendHtml } from './layout.js';
import { PARAM_BUCKETS, filterModels, listModels, type ModelSummary } from './models.js';

const fmtParams = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : `${(n / 1e6).toFixed(1)}M`);

function options(values: Iterable<string>, selected: string | undefined, anyLabel: string): ReturnType<typeof html> {
  const sorted = [...new Set(values)].sort();
  return html`<option value="">${anyLabel}</option>
    ${sorted.map((v) => html`<option value="${v}" ${v === selected ? html` selected` : ''}>${v}</option>`)}`;
}

/** The filter for one card fact: a <select> of the values it takes among `models`, 'any FACT' first. */
function factSelect(fact: 'family' | 'activation', models: ModelSummary[], selected: string | undefined): SafeHtml {
  const values = models.flatMap((m) => {
    const value = m.facts[fact];
    return value ? [value] : [];
  });
  return html`<select name="${fact}" id="${fact}">
    ${options(values, selected, `any ${fact}`)}
  </select>`;
}

/** One list entry, as a concatenated string with each value escaped (a list may hold thousands). */
function row(m: ModelSummary): string {
  const f = m.facts;
  const id = escapeHtml(m.id);
  const chip = (kind: string, value: string, text: string): string =>
    `<span class="chip" data-${kind}="${escapeHtml(value)}">${escapeHtml(text)}</span>`;
  return (
    `<li class="model" data-repo="${id}"><a href="/${id}" class="model-id">${id}</a>` +
    (m.private ? ' <span class="badge private">private</span>' : '') +
    '<span class="facts">' +
    (f.family ? chip('family', f.family, f.family) : '') +
    (f.activation ? chip('activation', f.activation, f.activation) : '') +
    (f.params ? chip('params', String(f.params), `${fmtParams(f.params)} params`) : '') +
    `</span><time datetime="${escapeHtml(m.lastModified)}">updated ${escapeHtml(m.lastModified.slice(0, 10))}</time></li>`
  );
}

/** GET /: the models the caller may read, searchable by name and filtered by the card's registry facts. */
export async function listPage(c: RouteContext): Promise<void> {
  const query = modelQuery(c.query);
  const all = await listModels(c.hub, c.who);
  const shown = filterModels(all, query);
  const body = html`<h1>Models</h1>
    <form method="get" action="/" class="filters" id="filters">
      <input type="search" name="search" id="search" placeholder="Search models" value="${query.search ?? ''}" />
      ${factSelect('family', all, query.family)} ${factSelect('activation', all, query.activation)}
      <select name="params" id="params">
        <option value="">any size</option>
        ${PARAM_BUCKETS.map(
          (b) => html`<option value="${b.name}" ${b.name === query.params ? html` selected` : ''}>${b.label}</option>`,
        )}
      </select>
      <select name="sort" id="sort">
        ${(
          [
            ['lastModified', 'Recently updated'],
            ['createdAt', 'Recently created'],
            ['id', 'Name'],
          ] as const
        ).map(([v, label]) => html`<option value="${v}" ${v === query.sort ? html` selected` : ''}>${label}</option>`)}
      </select>
      <button type="submit">Apply</button>
    </form>
    <p class="count" id="model-count">${shown.length} of ${all.length} models</p>
    <ul class="models" id="models">
      ${new SafeHtml(shown.map(row).join(''))}
    </ul>`;
  sendHtml(c.res, 200, layout({ title: 'Models · cliphub', who: c.who, body }));
}
