import { HubError, badRequest, entryNotFound } from '../errors.js';
import { isRecord, sendJson } from '../http-util.js';
import { checkRepoPath } from '../repo-path.js';
import type { RouteContext } from '../router.js';
import type { Commit, Store } from '../store.js';
import type { TreeIndex, TreeItem } from '../tree-index.js';

/** Commits a lastCommit walk visits at most, per request. */
const HISTORY_STEPS = 10_000;

type LastCommit = { id: string; title: string; date: string };

function treeJson(index: TreeIndex, item: TreeItem, last?: LastCommit): Record<string, unknown> {
  const e = item.entry;
  return {
    type: item.type,
    oid: index.oid(item),
    size: e ? e.size : 0,
    path: item.path,
    ...(e?.lfs && { lfs: { oid: e.lfs.sha256, size: e.size, pointerSize: e.lfs.pointerSize } }),
    ...(last && { lastCommit: last }),
  };
}

/**
 * For `expand=true`: the newest commit (from `head` back along first parents) that changed each item,
 * found in one walk for the whole page, from each commit's small history record (the paths it changed).
 */
export async function lastCommits(
  store: Store,
  repo: string,
  head: Commit,
  items: TreeItem[],
): Promise<Map<string, LastCommit>> {
  const found = new Map<string, LastCommit>();
  let open = items;
  let id: string | undefined = head.id;
  let last: LastCommit | null = null;
  for (let step = 0; id && open.length > 0 && step < HISTORY_STEPS; step++) {
    const h = await store.history(repo, id);
    if (!h) break;
    last = { id: h.id, title: h.title, date: h.date };
    const changedFiles = new Set(h.changed);
    const changedDirs = new Set<string>();
    for (const p of h.changed)
      for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) changedDirs.add(p.slice(0, i));
    const hit = (it: TreeItem): boolean => (it.type === 'file' ? changedFiles : changedDirs).has(it.path);
    for (const it of open) if (hit(it)) found.set(it.path, last);
    open = open.filter((it) => !found.has(it.path));
    id = h.parents[0];
  }
  // items older than the walk reaches (or unchanged since the root commit) date from the last commit seen
  if (last) for (const it of open) found.set(it.path, last);
  return found;
}

function decodeCursor(cursor: string | null): number {
  if (!cursor) return 0;
  const n = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest('Invalid pagination cursor; follow the Link header as given');
  return n;
}

const flag = (v: string | null): boolean => v === 'true' || v === '1' || v === 'True';

/**
 * GET /api/models/{repo}/tree/{rev}[/{path}]: one page of the folder's listing from the commit's tree
 * index; folder oids and lastCommit are computed for that page only. The next page's absolute Link is
 * pinned to the commit, so a concurrent push cannot shift it.
 */
export async function tree(c: RouteContext): Promise<void> {
  const { store, trees, pageSize, limits } = c.hub;
  const dir = c.params.path ?? '';
  if (dir) checkRepoPath(dir, limits.pathDepth);
  const commit = await store.resolve(c.repo, c.params.rev as string);
  const index = trees.of(c.repo, commit);
  const listing = index.list(dir, flag(c.query.get('recursive')));
  if (!listing) throw entryNotFound(dir);
  const expand = flag(c.query.get('expand'));
  const limit = Math.max(1, Math.min(pageSize, Number(c.query.get('limit') ?? pageSize) || pageSize));
  const offset = decodeCursor(c.query.get('cursor'));
  const page = listing.slice(offset, offset + limit);
  const last = expand ? await lastCommits(store, c.repo, commit, page) : null;
  const headers: Record<string, string> = {};
  if (offset + limit < listing.length) {
    const next = new URLSearchParams(c.query);
    next.set('cursor', Buffer.from(String(offset + limit)).toString('base64url'));
    const dirPart = dir ? `/${dir.split('/').map(encodeURIComponent).join('/')}` : '';
    headers.Link = `<${c.base}/api/models/${c.repo}/tree/${commit.id}${dirPart}?${next.toString()}>; rel="next"`;
  }
  sendJson(
    c.res,
    200,
    page.map((it) => treeJson(index, it, last?.get(it.path))),
    headers,
  );
}

/**
 * POST /api/models/{repo}/paths-info/{rev}: JSON `{paths, expand}` (JS) or a form (Python). Each path is one
 * Map lookup in the commit's tree index; at most limits.pathsPerRequest paths.
 */
export async function pathsInfo(c: RouteContext): Promise<void> {
  const { store, trees, limits } = c.hub;
  const raw = await c.readBody();
  let paths: unknown[] = [];
  let expand = false;
  if ((c.req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(raw.toString('utf8'));
    paths = form.getAll('paths');
    expand = flag(form.get('expand'));
  } else {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw badRequest('paths-info body must be JSON {paths, expand} or a form');
    }
    if (!isRecord(body)) throw badRequest('paths-info body must be an object {paths, expand}');
    paths = Array.isArray(body.paths) ? body.paths : typeof body.paths === 'string' ? [body.paths] : [];
    expand = body.expand === true;
  }
  if (paths.length > limits.pathsPerRequest)
    throw new HubError(
      413,
      'TooManyPaths',
      `At most ${limits.pathsPerRequest} paths per paths-info request; send them in chunks`,
    );
  const commit = await store.resolve(c.repo, c.params.rev as string);
  const index = trees.of(c.repo, commit);
  const items: TreeItem[] = [];
  for (const p of paths) {
    const item = index.item(checkRepoPath(typeof p === 'string' ? p.replace(/\/$/, '') : p));
    if (item) items.push(item);
  }
  const last = expand ? await lastCommits(store, c.repo, commit, items) : null;
  sendJson(
    c.res,
    200,
    items.map((it) => treeJson(index, it, last?.get(it.path))),
  );
}
