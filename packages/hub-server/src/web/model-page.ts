import { assertCanRead } from '../auth.js';
import { HubError, entryNotFound } from '../errors.js';
import { checkRepoPath } from '../repo-path.js';
import { repoId, type RouteContext } from '../router.js';
import type { Commit, FileEntry, HistoryEntry } from '../store.js';
import { renderCard } from './card-html.js';
import { SafeHtml, escapeHtml, formatSize, html } from './html.js';
import { errorPage, layout, sendHtml } from './layout.js';
import { cardFacts } from './models.js';
import { readSmallFile } from './repo-file.js';
import { readValidationSummary, validationSection } from './validation.js';

/** Commits the history section shows. */
const HISTORY_ROWS = 30;

/** The files transformers.js's zero-shot pipeline loads (the layout `cliphub convert --to transformers.js` writes). */
export const TRANSFORMERS_JS_FILES = [
  'config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/model.onnx',
] as const;

export function hasTransformersJsLayout(files: ReadonlyMap<string, FileEntry>): boolean {
  return TRANSFORMERS_JS_FILES.every((f) => files.has(f));
}

const encodePath = (p: string): string => (/^[\w.\-/]*$/.test(p) ? p : p.split('/').map(encodeURIComponent).join('/'));
const revPath = (rev: string): string => (rev.startsWith('refs/pr/') ? rev : encodeURIComponent(rev));

function frontMatterTable(data: Record<string, unknown>): SafeHtml {
  // lists as "a, b", mappings as "key: value; key: value", deeper levels as JSON
  const flat = (x: unknown): string => (typeof x === 'object' && x !== null ? JSON.stringify(x) : String(x));
  const value = (v: unknown): string =>
    Array.isArray(v)
      ? v.map(flat).join(', ')
      : typeof v === 'object' && v !== null
        ? Object.entries(v)
            .map(([k, x]) => `${k}: ${flat(x)}`)
            .join('; ')
        : String(v);
  return html`<table class="front-matter" id="front-matter">
    <tbody>
      ${Object.entries(data).map(
        ([k, v]) =>
          html`<tr>
            <th scope="row">${k}</th>
            <td>${value(v)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function filesSection(c: RouteContext, commit: Commit, rev: string, dir: string): SafeHtml {
  const index = c.hub.trees.of(c.repo, commit);
  const listing = index.list(dir, false);
  if (!listing) throw entryNotFound(dir);
  const treeBase = `/${c.repo}/tree/${revPath(rev)}/`;
  const parent = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
  const cut = dir ? dir.length + 1 : 0;
  // a folder may hold tens of thousands of files: rows are concatenated strings (each value escaped), not
  // templates, so the page costs about what the API's listing of the same folder does
  // optional end tags (</td>, </tr>) are left out and file links are relative to the page's <base>
  // (…/resolve/COMMIT/): the rows are most of a large page's bytes
  let rows = '';
  const treeHref = escapeHtml(treeBase);
  for (const it of listing.slice(0, listing.length)) {
    const p = escapeHtml(it.path);
    const name = cut ? escapeHtml(it.path.slice(cut)) : p;
    const href = escapeHtml(encodePath(it.path));
    const e = it.entry;
    if (!e) rows += `<tr data-dir="${p}"><td><a href="${treeHref}${href}">${name}/</a><td><td>`;
    else
      rows += `<tr data-path="${p}" data-size="${e.size}"><td><a href="${href}" download>${name}</a><td>${formatSize(e.size)}<td>${e.lfs ? '<span class="badge lfs">LFS</span>' : ''}`;
  }
  return html`<section id="files">
    <h2>Files${dir ? html` in <code>${dir}</code>` : ''}</h2>
    ${dir ? html`<p><a href="${treeBase}${encodePath(parent)}" id="up">↑ up</a></p>` : ''}
    <p class="meta">Click a file to download it (pinned to commit <code>${commit.id.slice(0, 7)}</code>).</p>
    <table class="files">
      <thead>
        <tr>
          <th>Name</th>
          <th>Size</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${new SafeHtml(rows)}
      </tbody>
    </table>
  </section>`;
}

async function historySection(c: RouteContext, head: Commit): Promise<SafeHtml> {
  const rows: HistoryEntry[] = [];
  let id: string | undefined = head.id;
  while (id && rows.length < HISTORY_ROWS) {
    const h = await c.hub.store.history(c.repo, id);
    if (!h) break;
    rows.push(h);
    id = h.parents[0];
  }
  return html`<section id="history">
    <h2>Commit history</h2>
    <ol class="commits">
      ${rows.map(
        (h) =>
          html`<li data-commit="${h.id}">
            <a href="/${c.repo}/tree/${h.id}"><code>${h.id.slice(0, 7)}</code></a> ${h.title}
            <time datetime="${h.date}">${h.date.slice(0, 16).replace('T', ' ')}</time>
          </li>`,
      )}
    </ol>
  </section>`;
}

function refsSection(c: RouteContext, refs: Map<string, string>, rev: string): SafeHtml {
  const all = [...refs];
  const link = ([name, id]: [string, string]): SafeHtml =>
    html`<li data-ref="${name}">
      <a href="/${c.repo}/tree/${revPath(name)}" ${name === rev ? html` aria-current="true"` : ''}>${name}</a>
      <code>${id.slice(0, 7)}</code>
    </li>`;
  return html`<section id="refs">
    <h2>Branches</h2>
    <ul class="refs" id="branches">
      ${all.filter(([n]) => !n.startsWith('refs/pr/')).map(link)}
    </ul>
    <h2>Pull requests</h2>
    <ul class="refs" id="pull-requests">
      ${all.filter(([n]) => n.startsWith('refs/pr/')).map(link)}
    </ul>
  </section>`;
}

function tryItSection(c: RouteContext, commit: Commit): SafeHtml {
  return html`<section id="try-it" data-model="${c.repo}" data-revision="${commit.id}">
    <h2>Try it</h2>
    <p>
      Zero-shot classification in your browser with transformers.js (onnxruntime-web). Nothing is computed on the
      server.
    </p>
    <form id="try-form">
      <input type="file" id="try-image" accept="image/*" required />
      <input type="text" id="try-labels" value="a photo of a cat, a photo of a dog, a diagram" size="50" required />
      <button type="submit" id="try-run">Classify</button>
    </form>
    <img id="try-preview" alt="" hidden />
    <p id="try-status" role="status"></p>
    <table id="try-results"></table>
  </section>`;
}

/** GET /{ns}/{name} and /{ns}/{name}/tree/{rev}/{path}: card, validation, try-it, files, history, refs. */
export async function modelPage(c: RouteContext): Promise<void> {
  if (c.params.ns === 'api' || c.params.ns === '_lfs')
    throw new HubError(
      404,
      'NotFound',
      `No ${c.params.ns === 'api' ? 'API' : 'LFS'} route GET /${c.params.ns}/${c.params.name ?? ''}`,
    );
  try {
    c.repo = repoId(c.params.ns, c.params.name);
    const meta = await c.hub.store.meta(c.repo);
    assertCanRead(c.who, c.repo, meta);
    c.meta = meta;
    const rev = c.params.rev ?? 'main';
    const dir = c.params.path ? checkRepoPath(c.params.path.replace(/\/+$/, ''), c.hub.limits.pathDepth) : '';
    const { store } = c.hub;
    const commit = await store.resolve(c.repo, rev);
    const refs = await store.refs(c.repo);
    const readme = commit.files.get('README.md');
    const cardText = await readSmallFile(c, readme, c.hub.limits.cardBytes);
    const frontMatter =
      readme && !readme.lfs ? await c.hub.cards.forFile(store.blobPath(c.repo, readme), readme.oid) : null;
    const fileBase = `/${c.repo}/resolve/${commit.id}/`;
    // the page sets <base href=fileBase>, so in-page links carry the page's path
    const pagePath = new URL(c.req.url ?? '/', 'http://h').pathname;
    const card = cardText !== null ? renderCard(cardText, fileBase, (p) => commit.files.has(p), pagePath) : null;
    const summary = await readValidationSummary(c, commit);
    const facts = cardFacts(frontMatter?.data ?? null);
    const tryIt = hasTransformersJsLayout(commit.files);
    const body = html`<h1 id="repo-title">
        ${c.repo}${meta.private ? html` <span class="badge private">private</span>` : ''}
      </h1>
      <p class="meta">
        revision <code id="revision">${rev}</code> · commit <code>${commit.id.slice(0, 7)}</code> · updated
        <time datetime="${commit.date}">${commit.date.slice(0, 10)}</time>${
          facts.architecture ? html` · ${facts.architecture}` : ''
        }
      </p>
      <nav class="sections">
        <a href="${pagePath}#card">Model card</a> <a href="${pagePath}#files">Files</a>
        <a href="${pagePath}#history">History</a> <a href="${pagePath}#refs">Branches</a>${
          summary ? html` <a href="${pagePath}#validation">Validation</a>` : ''
        }${tryIt ? html` <a href="${pagePath}#try-it">Try it</a>` : ''}
      </nav>
      ${summary ? validationSection(c, commit, summary) : ''} ${tryIt ? tryItSection(c, commit) : ''}
      <section id="card">
        <h2 class="section-title">Model card</h2>
        ${frontMatter?.error ? html`<p class="error">${frontMatter.error}</p>` : ''}
        ${frontMatter?.data && Object.keys(frontMatter.data).length ? frontMatterTable(frontMatter.data) : ''}
        ${card ? html`<article class="card-body" id="card-body">${card.body}</article>` : readme ? html`<p>The model card is too large to show here; download README.md.</p>` : html`<p>This repo has no model card (README.md).</p>`}
      </section>
      ${filesSection(c, commit, rev, dir)} ${await historySection(c, commit)} ${refsSection(c, refs, rev)}`;
    sendHtml(
      c.res,
      200,
      layout({
        title: `${c.repo} · cliphub`,
        who: c.who,
        body,
        scripts: tryIt ? ['/_static/tryit.js'] : [],
        base: `/${c.repo}/resolve/${commit.id}/`,
      }),
    );
  } catch (e) {
    if (!(e instanceof HubError) || e.status >= 500) throw e;
    sendHtml(c.res, e.status, errorPage(e.status, e.message, c.who));
  }
}
