import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { assertCanWrite, assertCanWriteNamespace, isMember } from '../auth.js';
import { HubError, badRequest, repoNotFound, unauthorized } from '../errors.js';
import { partsDir } from '../hub.js';
import { isRecord, sendJson } from '../http-util.js';
import { repoId, type RouteContext } from '../router.js';
import type { TokenInfo } from '../tokens.js';

async function repoFromBody(c: RouteContext): Promise<{ repo: string; body: Record<string, unknown> }> {
  const body = await c.readJson();
  if (!isRecord(body)) throw badRequest('Expected a JSON object body');
  const type = body.type ?? 'model';
  if (type !== 'model')
    throw new HubError(400, 'RepoTypeNotSupported', `This server hosts model repos only, not '${String(type)}'`);
  let name = typeof body.name === 'string' ? body.name : '';
  let ns = typeof body.organization === 'string' && body.organization ? body.organization : undefined;
  if (name.includes('/')) [ns, name] = name.split('/', 2) as [string, string];
  ns ??= c.who?.user;
  if (!ns) throw unauthorized('Creating or deleting a repo needs a token; pass a write token');
  return { repo: repoId(ns, name), body };
}

const repoExists = (c: RouteContext, url: string): void =>
  sendJson(c.res, 409, { error: 'You already created this model repo', url }, { 'X-Error-Code': 'RepoExists' });

/** POST /api/repos/create: 409 with `url` when it exists (Python's exist_ok reads it), private repos only to members. */
export async function createRepo(c: RouteContext): Promise<void> {
  const { repo, body } = await repoFromBody(c);
  const who = c.who as TokenInfo;
  assertCanWriteNamespace(who, repo.split('/')[0] as string);
  const url = `${c.base}/${repo}`;
  const existing = await c.hub.store.meta(repo);
  if (existing) {
    if (existing.private && !isMember(who, repo.split('/')[0] as string)) throw repoNotFound(repo);
    return repoExists(c, url);
  }
  const priv = body.private === true || body.visibility === 'private';
  if (!(await c.hub.store.create(repo, { private: priv, author: who.user }))) return repoExists(c, url);
  sendJson(c.res, 200, { url, name: repo, id: repo });
}

/** DELETE /api/repos/delete: the repo, its pending uploads and its cached trees. */
export async function deleteRepo(c: RouteContext): Promise<void> {
  const { repo } = await repoFromBody(c);
  assertCanWrite(c.who, repo, await c.hub.store.meta(repo));
  // uploads in flight for this repo are void: their parts must not outlive it, nor land in a new repo of the same name
  const dropped = c.hub.tickets.removeRepo(repo);
  await Promise.all(dropped.map((t) => rm(partsDir(c.hub.store, t), { recursive: true, force: true })));
  if (!(await c.hub.store.delete(repo))) throw repoNotFound(repo);
  c.hub.trees.dropRepo(repo);
  sendJson(c.res, 200, {});
}

/** POST /api/validate-yaml: the card's front matter, checked within the card limits in the parser's worker. */
export async function validateYaml(c: RouteContext): Promise<void> {
  const body = await c.readJson();
  const content = isRecord(body) && typeof body.content === 'string' ? body.content : '';
  const fm = await c.hub.cards.parse(content);
  sendJson(c.res, 200, { errors: fm.error ? [{ message: fm.error }] : [], warnings: [] });
}

/** GET /api/models/{repo}[/revision/{rev}]: model info, with `cardData` from README.md's front matter (parsed once per README). */
export async function modelInfo(c: RouteContext): Promise<void> {
  const { store, cards } = c.hub;
  const commit = await store.resolve(c.repo, c.params.rev ?? 'HEAD');
  const readme = commit.files.get('README.md');
  const cardData =
    readme && !readme.lfs ? (await cards.forFile(store.blobPath(c.repo, readme), readme.oid)).data : null;
  const tags = Array.isArray(cardData?.tags) ? cardData.tags.filter((t): t is string => typeof t === 'string') : [];
  const blobs = c.query.get('blobs') === 'true' || c.query.get('blobs') === '1';
  const meta = c.meta as NonNullable<RouteContext['meta']>;
  sendJson(c.res, 200, {
    _id: createHash('sha1').update(c.repo).digest('hex').slice(0, 24),
    id: c.repo,
    modelId: c.repo,
    author: c.repo.split('/')[0],
    sha: commit.id,
    lastModified: commit.date,
    createdAt: meta.createdAt,
    private: meta.private,
    gated: false,
    disabled: false,
    downloads: 0,
    likes: 0,
    library_name: typeof cardData?.library_name === 'string' ? cardData.library_name : undefined,
    pipeline_tag: typeof cardData?.pipeline_tag === 'string' ? cardData.pipeline_tag : undefined,
    tags,
    cardData: cardData ?? undefined,
    siblings: [...commit.files].map(([p, e]) =>
      blobs
        ? {
            rfilename: p,
            size: e.size,
            blobId: e.oid,
            ...(e.lfs && { lfs: { sha256: e.lfs.sha256, size: e.size, pointerSize: e.lfs.pointerSize } }),
          }
        : { rfilename: p },
    ),
  });
}

/** GET /api/models/{repo}/refs: branches and PR refs. */
export async function listRefs(c: RouteContext): Promise<void> {
  const refs = await c.hub.store.refs(c.repo);
  const list = (pr: boolean): Array<Record<string, string>> =>
    [...refs]
      .filter(([r]) => r.startsWith('refs/pr/') === pr)
      .map(([r, id]) => ({ name: r, ref: pr ? r : `refs/heads/${r}`, targetCommit: id }));
  sendJson(c.res, 200, { branches: list(false), tags: [], converts: [], pullRequests: list(true) });
}

/** POST /api/models/{repo}/branch/{name}: a branch from `startingPoint` (default HEAD). */
export async function createBranch(c: RouteContext): Promise<void> {
  const branch = c.params.branch ?? '';
  if (
    !branch ||
    branch.startsWith('refs/') ||
    !/^[A-Za-z0-9._/-]+$/.test(branch) ||
    branch.includes('..') ||
    /^[0-9a-f]{40}$/.test(branch) ||
    branch === 'HEAD'
  )
    throw badRequest(`Invalid branch name '${branch}'`);
  const body = await c.readJson();
  const from = isRecord(body) && typeof body.startingPoint === 'string' ? body.startingPoint : 'HEAD';
  await c.hub.store.createBranch(c.repo, branch, from);
  sendJson(c.res, 200, {});
}

/** /api/datasets/… and /api/spaces/…: only model repos are hosted. */
export function repoTypeNotSupported(type: string): never {
  throw new HubError(400, 'RepoTypeNotSupported', `This server hosts model repos only, not ${type}`);
}
