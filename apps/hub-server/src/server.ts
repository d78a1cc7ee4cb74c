import { randomBytes, createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parse as parseYaml } from 'yaml';
import { assertCanRead, assertCanWrite, assertCanWriteNamespace, authenticate, isMember } from './auth.js';
import { HubError, badRequest, entryNotFound, repoNotFound } from './errors.js';
import { isSha256 } from './git-oid.js';
import { isRecord, parseRange, readBody, readJson, sendError, sendJson } from './http-util.js';
import { checkRepoPath } from './repo-path.js';
import { Store, type Commit, type Operation } from './store.js';
import { loadTokensFile, isName, type TokenInfo } from './tokens.js';
import { listTree, pathInfo, type TreeItem } from './tree.js';

export interface HubServerLimits {
  /** Largest JSON API body (preupload, paths-info, batch...). */
  jsonBytes: number;
  /** Largest NDJSON commit body (regular files travel inline, base64). */
  commitBytes: number;
  /** Largest single LFS object. */
  lfsObjectBytes: number;
}

export interface HubServerOptions {
  /** Where repositories live; created when missing. */
  dataDir: string;
  /** A tokens file (`TOKEN USER ROLE [ORG,...]` per line). */
  tokensFile?: string;
  /** Tokens given directly (merged over the file's). */
  tokens?: Map<string, TokenInfo> | Record<string, TokenInfo>;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** One line per request (method, path, status, user); tokens are never included. */
  log?: (line: string) => void;
  /** Tree page size (the Hub uses 1000); small values exercise client pagination. */
  pageSize?: number;
  limits?: Partial<HubServerLimits>;
}

export interface HubServer {
  url: string;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;
/** Objects at or above this size get multipart upload instructions, in parts of CHUNK bytes. */
const MULTIPART_THRESHOLD = 10 * MiB;
const CHUNK = 5 * MiB;
const TICKET_TTL_MS = 3600_000;
const LFS_EXTENSIONS = /\.(safetensors|bin|pt|pth|ckpt|onnx|onnx_data|msgpack|h5|npz|npy|pkl|gguf|tar|gz|zip|tflite|ot|model|pb|arrow|parquet|wasm)$/i;

interface Ticket {
  repo: string;
  oid: string;
  size: number;
  expires: number;
  /** part number -> ETag, for multipart uploads */
  parts?: Map<number, string>;
  partCount?: number;
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  base: string;
  who: TokenInfo | null;
  query: URLSearchParams;
}

/** Starts a Hub-compatible HTTP server (see README.md for the endpoints); resolves once listening. */
export async function createHubServer(opts: HubServerOptions): Promise<HubServer> {
  const store = new Store(path.resolve(opts.dataDir));
  await mkdir(path.join(store.root, 'repos'), { recursive: true });
  await store.sweepTemp();
  const tokens = new Map<string, TokenInfo>(opts.tokensFile ? await loadTokensFile(opts.tokensFile) : []);
  const given = opts.tokens instanceof Map ? opts.tokens : Object.entries(opts.tokens ?? {});
  for (const [t, info] of given) tokens.set(t, info);
  const limits: HubServerLimits = { jsonBytes: 8 * MiB, commitBytes: 128 * MiB, lfsObjectBytes: 64 * 1024 * MiB, ...opts.limits };
  const pageSize = opts.pageSize ?? 1000;
  const tickets = new Map<string, Ticket>();
  const log = opts.log ?? (() => {});

  const server = createServer((req, res) => {
    const started = Date.now();
    let who: TokenInfo | null = null;
    res.on('finish', () => {
      // the path only: no query, no headers; upload tickets are capabilities, so they are masked too
      const p = (req.url ?? '').split('?')[0]?.replace(/\/_lfs\/upload\/[^/]+/, '/_lfs/upload/***');
      log(`${new Date().toISOString()} ${req.method} ${p} ${res.statusCode} ${Date.now() - started}ms ${who ? who.user : '-'}`);
    });
    (async () => {
      who = authenticate(req, tokens);
      const host = req.headers.host && /^[A-Za-z0-9.:[\]-]+$/.test(req.headers.host) ? req.headers.host : hostPort();
      const url = new URL(req.url ?? '/', `http://${host}`);
      await route({ req, res, who, base: `http://${host}`, query: url.searchParams }, url.pathname);
    })().catch((e: unknown) => {
      if (e instanceof HubError) return sendError(res, e);
      log(`${new Date().toISOString()} error ${(e as Error)?.stack ?? String(e)}`);
      sendError(res, new HubError(500, 'InternalError', 'Internal server error; see the server log'));
    });
  });
  server.requestTimeout = 0; // large uploads may take long; idle sockets still time out
  server.headersTimeout = 60_000;

  function hostPort(): string {
    const a = server.address() as AddressInfo;
    return `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  function segments(pathname: string): string[] {
    try {
      return pathname.split('/').slice(1).map((s) => decodeURIComponent(s));
    } catch {
      throw badRequest('Malformed percent-encoding in the URL');
    }
  }

  /** `refs/pr/N` may arrive unencoded as three segments; other revisions are one (possibly %2F-encoded) segment. */
  function takeRev(segs: string[]): [string, string[]] {
    if (segs[0] === 'refs' && (segs[1] === 'pr' || segs[1] === 'heads') && segs[2]) return [segs[1] === 'pr' ? segs.slice(0, 3).join('/') : segs[2], segs.slice(3)];
    const rev = segs[0];
    if (!rev) throw badRequest('Missing revision in the URL');
    return [rev.startsWith('refs/heads/') ? rev.slice('refs/heads/'.length) : rev, segs.slice(1)];
  }

  function repoId(ns: string | undefined, name: string | undefined): string {
    if (!ns || !name || !isName(ns) || !isName(name)) throw new HubError(400, 'BadRepoId', `Invalid repo id '${ns ?? ''}/${name ?? ''}'; use NAMESPACE/NAME with letters, digits, '-', '_', '.'`);
    return `${ns}/${name}`;
  }

  async function route(c: Ctx, pathname: string): Promise<void> {
    const m = c.req.method ?? 'GET';
    const s = segments(pathname);
    if (s[0] === 'api') {
      if (s[1] === 'whoami-v2' && m === 'GET') return whoami(c);
      if (s[1] === 'repos' && s[2] === 'create' && m === 'POST') return createRepo(c);
      if (s[1] === 'repos' && s[2] === 'delete' && m === 'DELETE') return deleteRepo(c);
      if (s[1] === 'validate-yaml' && m === 'POST') return validateYaml(c);
      if (s[1] === 'datasets' || s[1] === 'spaces') throw new HubError(400, 'RepoTypeNotSupported', `This server hosts model repos only, not ${s[1]}`);
      if (s[1] === 'models' && s.length >= 4) {
        const repo = repoId(s[2], s[3]);
        const action = s[4];
        const rest = s.slice(5);
        if (action === undefined && m === 'GET') return modelInfo(c, repo, 'HEAD');
        if (action === 'revision' && m === 'GET') return modelInfo(c, repo, takeRev(rest)[0]);
        if (action === 'preupload' && m === 'POST') return preupload(c, repo, takeRev(rest)[0]);
        if (action === 'commit' && m === 'POST') return commit(c, repo, takeRev(rest)[0]);
        if (action === 'tree' && m === 'GET') {
          const [rev, p] = takeRev(rest);
          return tree(c, repo, rev, p.join('/'));
        }
        if (action === 'paths-info' && m === 'POST') return pathsInfoRoute(c, repo, takeRev(rest)[0]);
        if (action === 'branch' && m === 'POST') return createBranch(c, repo, rest.join('/'));
        if (action === 'refs' && m === 'GET') return listRefs(c, repo);
      }
      throw new HubError(404, 'NotFound', `No API route ${m} ${pathname}`);
    }
    if (s[0] === '_lfs') {
      if (s[1] === 'upload' && s[2]) {
        if (m === 'PUT' && s.length === 3) return basicUpload(c, s[2]);
        if (m === 'PUT' && s[3] === 'part' && s[4]) return partUpload(c, s[2], Number(s[4]));
        if (m === 'POST' && s.length === 3) return completeMultipart(c, s[2]);
      }
      if (s[1] === 'verify' && m === 'POST') return verify(c, repoId(s[2], s[3]));
      if (s[1] === 'object' && (m === 'GET' || m === 'HEAD') && isSha256(s[4])) return lfsDownload(c, repoId(s[2], s[3]), s[4], m === 'HEAD');
      throw new HubError(404, 'NotFound', `No LFS route ${m} ${pathname}`);
    }
    if (s.length >= 4 && s[1]?.endsWith('.git') && s[2] === 'info' && s[3] === 'lfs' && s[4] === 'objects' && s[5] === 'batch' && m === 'POST')
      return lfsBatch(c, repoId(s[0], s[1].slice(0, -4)));
    if (s.length >= 5 && (s[2] === 'resolve' || s[2] === 'raw') && (m === 'GET' || m === 'HEAD')) {
      const repo = repoId(s[0], s[1]);
      const [rev, p] = takeRev(s.slice(3));
      return resolveFile(c, repo, rev, p.join('/'), m === 'HEAD');
    }
    throw new HubError(404, 'NotFound', `No route ${m} ${pathname}`);
  }

  function whoami(c: Ctx): void {
    if (!c.who) throw new HubError(401, 'Unauthorized', 'No token given; pass Authorization: Bearer <token>');
    const w = c.who;
    sendJson(c.res, 200, {
      type: 'user',
      id: w.user,
      name: w.user,
      fullname: w.user,
      isPro: false,
      orgs: w.orgs.map((o) => ({ type: 'org', name: o, fullname: o, roleInOrg: w.role === 'write' ? 'write' : 'read' })),
      auth: { type: 'access_token', accessToken: { displayName: `${w.user}-${w.role}`, role: w.role, createdAt: '2024-01-01T00:00:00.000Z' } },
    });
  }

  async function repoFromBody(c: Ctx): Promise<{ repo: string; body: Record<string, unknown> }> {
    const body = await readJson(c.req, limits.jsonBytes);
    if (!isRecord(body)) throw badRequest('Expected a JSON object body');
    const type = body.type ?? 'model';
    if (type !== 'model') throw new HubError(400, 'RepoTypeNotSupported', `This server hosts model repos only, not '${String(type)}'`);
    let name = typeof body.name === 'string' ? body.name : '';
    let ns = typeof body.organization === 'string' && body.organization ? body.organization : undefined;
    if (name.includes('/')) [ns, name] = name.split('/', 2) as [string, string];
    ns ??= c.who?.user;
    if (!ns) throw new HubError(401, 'Unauthorized', 'Creating or deleting a repo needs a token; pass a write token');
    return { repo: repoId(ns, name), body };
  }

  async function createRepo(c: Ctx): Promise<void> {
    const { repo, body } = await repoFromBody(c);
    assertCanWriteNamespace(c.who, repo.split('/')[0] as string);
    const priv = body.private === true || body.visibility === 'private';
    const url = `${c.base}/${repo}`;
    const existing = await store.meta(repo);
    if (existing) {
      // clients that pass exist_ok read `url` from the 409 body; only reveal a private repo to its members
      if (existing.private && !isMember(c.who, repo.split('/')[0] as string)) throw repoNotFound(repo);
      return sendJson(c.res, 409, { error: 'You already created this model repo', url }, { 'X-Error-Code': 'RepoExists' });
    }
    const created = await store.create(repo, { private: priv, author: c.who.user });
    if (!created) return sendJson(c.res, 409, { error: 'You already created this model repo', url }, { 'X-Error-Code': 'RepoExists' });
    sendJson(c.res, 200, { url, name: repo, id: repo });
  }

  async function deleteRepo(c: Ctx): Promise<void> {
    const { repo } = await repoFromBody(c);
    assertCanWrite(c.who, repo, await store.meta(repo));
    if (!(await store.delete(repo))) throw repoNotFound(repo);
    sendJson(c.res, 200, {});
  }

  async function validateYaml(c: Ctx): Promise<void> {
    const body = await readJson(c.req, limits.jsonBytes);
    const content = isRecord(body) && typeof body.content === 'string' ? body.content : '';
    const errors: Array<{ message: string }> = [];
    const fm = frontMatter(content);
    if (fm.error) errors.push({ message: fm.error });
    sendJson(c.res, 200, { errors, warnings: [] });
  }

  async function readable(c: Ctx, repo: string): Promise<void> {
    assertCanRead(c.who, repo, await store.meta(repo));
  }

  async function modelInfo(c: Ctx, repo: string, rev: string): Promise<void> {
    const meta = await store.meta(repo);
    assertCanRead(c.who, repo, meta);
    const commit = await store.resolve(repo, rev);
    const card = commit.files['README.md'] && !commit.files['README.md'].lfs ? await readFile(store.blobPath(repo, commit.files['README.md']), 'utf8') : '';
    const cardData = frontMatter(card).data;
    const tags = Array.isArray(cardData?.tags) ? cardData.tags.filter((t): t is string => typeof t === 'string') : [];
    const blobs = c.query.get('blobs') === 'true' || c.query.get('blobs') === '1';
    sendJson(c.res, 200, {
      _id: createHash('sha1').update(repo).digest('hex').slice(0, 24),
      id: repo,
      modelId: repo,
      author: repo.split('/')[0],
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
      siblings: Object.entries(commit.files).map(([p, e]) =>
        blobs ? { rfilename: p, size: e.size, blobId: e.oid, ...(e.lfs && { lfs: { sha256: e.lfs.sha256, size: e.size, pointerSize: e.lfs.pointerSize } }) } : { rfilename: p },
      ),
    });
  }

  async function preupload(c: Ctx, repo: string, rev: string): Promise<void> {
    assertCanWrite(c.who, repo, await store.meta(repo));
    const body = await readJson(c.req, limits.jsonBytes);
    if (!isRecord(body) || !Array.isArray(body.files)) throw badRequest('Expected {files:[{path,size,sample}]}');
    let current: Commit | null = null;
    try {
      current = await store.resolve(repo, rev);
    } catch {
      current = null; // a branch about to be created has no files yet
    }
    const files = body.files.map((f: unknown) => {
      if (!isRecord(f)) throw badRequest('Each preupload file must be an object {path,size,sample}');
      const p = checkRepoPath(f.path);
      const size = Number(f.size);
      const sample = typeof f.sample === 'string' ? Buffer.from(f.sample, 'base64') : Buffer.alloc(0);
      const lfs = size > 0 && (size >= MULTIPART_THRESHOLD || LFS_EXTENSIONS.test(p) || sample.includes(0));
      const existing = current?.files[p];
      // the oid lets clients skip unchanged files: sha256 for LFS, git blob sha1 for regular
      const oid = existing ? (existing.lfs ? existing.lfs.sha256 : existing.oid) : null;
      return { path: p, uploadMode: lfs ? 'lfs' : 'regular', shouldIgnore: false, oid };
    });
    sendJson(c.res, 200, { files, commitOid: current?.id });
  }

  async function commit(c: Ctx, repo: string, rev: string): Promise<void> {
    assertCanWrite(c.who, repo, await store.meta(repo));
    const raw = await readBody(c.req, limits.commitBytes);
    let header: Record<string, unknown> | null = null;
    const ops: Operation[] = [];
    const seen = new Set<string>();
    for (const line of raw.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      let item: unknown;
      try {
        item = JSON.parse(line);
      } catch {
        throw badRequest('Commit body must be NDJSON: one JSON object per line');
      }
      if (!isRecord(item) || !isRecord(item.value)) throw badRequest('Each commit line needs {key, value}');
      const v = item.value;
      if (item.key === 'header') {
        header = v;
        continue;
      }
      const p = checkRepoPath(typeof v.path === 'string' ? v.path.replace(/\/$/, '') : v.path);
      if (item.key !== 'deletedFolder') {
        if (seen.has(p)) throw badRequest(`Path '${p}' appears twice in one commit`);
        seen.add(p);
      }
      if (item.key === 'file') {
        if (typeof v.content !== 'string') throw badRequest(`File '${p}' has no content`);
        const content = v.encoding === 'base64' ? Buffer.from(v.content, 'base64') : Buffer.from(v.content, 'utf8');
        ops.push({ kind: 'file', path: p, content });
      } else if (item.key === 'lfsFile') {
        if (v.algo !== undefined && v.algo !== 'sha256') throw badRequest(`LFS file '${p}': only algo sha256 is supported`);
        if (!isSha256(v.oid)) throw badRequest(`LFS file '${p}': oid must be 64 lowercase hex characters`);
        const size = Number(v.size);
        if (!Number.isSafeInteger(size) || size < 0) throw badRequest(`LFS file '${p}': size must be a non-negative integer`);
        ops.push({ kind: 'lfsFile', path: p, sha256: v.oid, size });
      } else if (item.key === 'deletedFile') {
        ops.push({ kind: 'deletedFile', path: p });
      } else if (item.key === 'deletedFolder') {
        ops.push({ kind: 'deletedFolder', path: p });
      } else {
        throw badRequest(`Unsupported commit operation '${String(item.key)}'; use file, lfsFile, deletedFile or deletedFolder`);
      }
    }
    if (!header) throw badRequest('Commit body needs a header line {"key":"header","value":{"summary":...}}');
    const summary = typeof header.summary === 'string' && header.summary.trim() ? header.summary : 'Upload files';
    const parentCommit = typeof header.parentCommit === 'string' && header.parentCommit ? header.parentCommit : undefined;
    const createPr = c.query.get('create_pr') === '1' || c.query.get('create_pr') === 'true';
    const { commit: made, prNumber } = await store.commitOps(repo, rev, ops, {
      title: summary,
      description: typeof header.description === 'string' ? header.description : '',
      author: (c.who as TokenInfo).user,
      parentCommit,
      createPr,
    });
    sendJson(c.res, 200, {
      success: true,
      commitOid: made.id,
      commitUrl: `${c.base}/${repo}/commit/${made.id}`,
      ...(prNumber !== undefined && { pullRequestUrl: `${c.base}/${repo}/discussions/${prNumber}` }),
      hookOutput: '',
    });
  }

  function treeJson(item: TreeItem, last?: Commit): Record<string, unknown> {
    const e = item.entry;
    return {
      type: item.type,
      oid: item.oid,
      size: item.size,
      path: item.path,
      ...(e?.lfs && { lfs: { oid: e.lfs.sha256, size: e.size, pointerSize: e.lfs.pointerSize } }),
      ...(last && { lastCommit: { id: last.id, title: last.title, date: last.date } }),
    };
  }

  async function tree(c: Ctx, repo: string, rev: string, dir: string): Promise<void> {
    await readable(c, repo);
    if (dir) checkRepoPath(dir);
    const commit = await store.resolve(repo, rev);
    const items = listTree(commit, dir, c.query.get('recursive') === 'true' || c.query.get('recursive') === '1');
    if (!items) throw entryNotFound(dir);
    const expand = c.query.get('expand') === 'true' || c.query.get('expand') === '1';
    const limit = Math.max(1, Math.min(pageSize, Number(c.query.get('limit') ?? pageSize) || pageSize));
    const offset = decodeCursor(c.query.get('cursor'));
    const page = items.slice(offset, offset + limit);
    const out = [];
    for (const it of page) out.push(treeJson(it, expand ? await store.lastCommitFor(repo, commit, it.path, it.type === 'directory') : undefined));
    const headers: Record<string, string> = {};
    if (offset + limit < items.length) {
      // pin the next pages to the commit so a concurrent push cannot shift them
      const next = new URLSearchParams(c.query);
      next.set('cursor', Buffer.from(String(offset + limit)).toString('base64url'));
      const dirPart = dir ? `/${dir.split('/').map(encodeURIComponent).join('/')}` : '';
      headers.Link = `<${c.base}/api/models/${repo}/tree/${commit.id}${dirPart}?${next.toString()}>; rel="next"`;
    }
    sendJson(c.res, 200, out, headers);
  }

  async function pathsInfoRoute(c: Ctx, repo: string, rev: string): Promise<void> {
    await readable(c, repo);
    const raw = await readBody(c.req, limits.jsonBytes);
    let paths: unknown[] = [];
    let expand = false;
    if ((c.req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
      const form = new URLSearchParams(raw.toString('utf8'));
      paths = form.getAll('paths');
      expand = form.get('expand') === 'true' || form.get('expand') === 'True' || form.get('expand') === '1';
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
    const commit = await store.resolve(repo, rev);
    const out = [];
    for (const p of paths) {
      const item = pathInfo(commit, checkRepoPath(typeof p === 'string' ? p.replace(/\/$/, '') : p));
      if (item) out.push(treeJson(item, expand ? await store.lastCommitFor(repo, commit, item.path, item.type === 'directory') : undefined));
    }
    sendJson(c.res, 200, out);
  }

  async function createBranch(c: Ctx, repo: string, branch: string): Promise<void> {
    assertCanWrite(c.who, repo, await store.meta(repo));
    if (!branch || branch.startsWith('refs/') || !/^[A-Za-z0-9._/-]+$/.test(branch) || branch.includes('..') || /^[0-9a-f]{40}$/.test(branch))
      throw badRequest(`Invalid branch name '${branch}'`);
    const body = await readJson(c.req, limits.jsonBytes);
    const from = isRecord(body) && typeof body.startingPoint === 'string' ? body.startingPoint : 'HEAD';
    await store.createBranch(repo, branch, from);
    sendJson(c.res, 200, {});
  }

  async function listRefs(c: Ctx, repo: string): Promise<void> {
    await readable(c, repo);
    const refs = await store.refs(repo);
    const list = (pr: boolean): Array<Record<string, string>> =>
      Object.entries(refs)
        .filter(([r]) => r.startsWith('refs/pr/') === pr)
        .map(([r, id]) => ({ name: pr ? r : r, ref: pr ? r : `refs/heads/${r}`, targetCommit: id }));
    sendJson(c.res, 200, { branches: list(false), tags: [], converts: [], pullRequests: list(true) });
  }

  function newTicket(t: Omit<Ticket, 'expires'>): string {
    const now = Date.now();
    for (const [k, v] of tickets) if (v.expires < now) tickets.delete(k);
    if (tickets.size > 100_000) throw new HubError(503, 'TooManyUploads', 'Too many pending uploads; retry later');
    const id = randomBytes(24).toString('base64url');
    tickets.set(id, { ...t, expires: now + TICKET_TTL_MS });
    return id;
  }

  function ticketOf(id: string): Ticket {
    const t = tickets.get(id);
    if (!t || t.expires < Date.now()) throw new HubError(404, 'UploadNotFound', 'Unknown or expired upload URL; request a new one from the LFS batch API');
    return t;
  }

  async function lfsBatch(c: Ctx, repo: string): Promise<void> {
    const body = await readJson(c.req, limits.jsonBytes);
    if (!isRecord(body) || !Array.isArray(body.objects)) throw badRequest('Expected an LFS batch request {operation, objects}');
    const op = body.operation;
    if (op === 'upload') assertCanWrite(c.who, repo, await store.meta(repo));
    else if (op === 'download') await readable(c, repo);
    else throw badRequest(`Unsupported LFS operation '${String(op)}'`);
    const headers = { 'Content-Type': 'application/vnd.git-lfs+json' };
    const objects = [];
    for (const o of body.objects) {
      const oid = isRecord(o) ? o.oid : undefined;
      const size = isRecord(o) ? Number(o.size) : NaN;
      if (!isSha256(oid) || !Number.isSafeInteger(size) || size < 0) {
        objects.push({ oid, size, error: { code: 422, message: 'oid must be a sha256 hex string and size a non-negative integer' } });
        continue;
      }
      if (size > limits.lfsObjectBytes) {
        objects.push({ oid, size, error: { code: 422, message: `Object is larger than the server limit of ${limits.lfsObjectBytes} bytes` } });
        continue;
      }
      const have = await store.hasLfs(repo, oid, size);
      if (op === 'download') {
        objects.push(have ? { oid, size, actions: { download: { href: `${c.base}/_lfs/object/${repo}/${oid}` } } } : { oid, size, error: { code: 404, message: 'Object does not exist' } });
        continue;
      }
      if (have) {
        objects.push({ oid, size }); // already stored: no actions, the client skips the upload
        continue;
      }
      const verify = { href: `${c.base}/_lfs/verify/${repo}` };
      if (size >= MULTIPART_THRESHOLD) {
        const partCount = Math.ceil(size / CHUNK);
        const id = newTicket({ repo, oid, size, parts: new Map(), partCount });
        const header: Record<string, string> = { chunk_size: String(CHUNK) };
        for (let i = 1; i <= partCount; i++) header[String(i).padStart(5, '0')] = `${c.base}/_lfs/upload/${id}/part/${i}`;
        objects.push({ oid, size, authenticated: true, actions: { upload: { href: `${c.base}/_lfs/upload/${id}`, header }, verify } });
      } else {
        const id = newTicket({ repo, oid, size });
        objects.push({ oid, size, authenticated: true, actions: { upload: { href: `${c.base}/_lfs/upload/${id}` }, verify } });
      }
    }
    sendJson(c.res, 200, { transfer: 'basic', objects }, {}, headers['Content-Type']);
  }

  async function basicUpload(c: Ctx, id: string): Promise<void> {
    const t = ticketOf(id);
    if (t.parts) throw badRequest('This object uses multipart upload; PUT its parts to the part URLs');
    if (!(await store.meta(t.repo))) throw repoNotFound(t.repo);
    await store.putLfs(t.repo, t.oid, t.size, c.req);
    tickets.delete(id);
    c.res.writeHead(200, { 'Content-Length': '0' }).end();
  }

  function partsDir(t: Ticket, id: string): string {
    return path.join(store.repoDir(t.repo), 'tmp', `mp-${createHash('sha256').update(id).digest('hex').slice(0, 32)}`);
  }

  async function partUpload(c: Ctx, id: string, n: number): Promise<void> {
    const t = ticketOf(id);
    if (!t.parts || !t.partCount || !Number.isInteger(n) || n < 1 || n > t.partCount) throw badRequest(`Part ${n} is not part of this upload`);
    const expected = n < t.partCount ? CHUNK : t.size - CHUNK * (t.partCount - 1);
    const dir = partsDir(t, id);
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, String(n));
    const tmp = `${file}.${randomBytes(4).toString('hex')}`;
    const md5 = createHash('md5');
    let seen = 0;
    try {
      await pipeline(
        c.req,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const ch of chunks) {
            seen += ch.length;
            if (seen > expected) throw new HubError(400, 'SizeMismatch', `Part ${n} is larger than ${expected} bytes`);
            md5.update(ch);
            yield ch;
          }
        },
        createWriteStream(tmp),
      );
      if (seen !== expected) throw new HubError(400, 'SizeMismatch', `Part ${n} has ${seen} bytes, expected ${expected}`);
      await rename(tmp, file);
    } finally {
      await rm(tmp, { force: true });
    }
    const etag = `"${md5.digest('hex')}"`;
    t.parts.set(n, etag);
    c.res.writeHead(200, { ETag: etag, 'Content-Length': '0' }).end();
  }

  async function completeMultipart(c: Ctx, id: string): Promise<void> {
    const t = ticketOf(id);
    if (!t.parts || !t.partCount) throw badRequest('This upload is not multipart; PUT the whole object instead');
    const body = await readJson(c.req, limits.jsonBytes);
    if (!isRecord(body) || body.oid !== t.oid || !Array.isArray(body.parts)) throw badRequest('Completion body must be {oid, parts:[{partNumber, etag}]} for this upload');
    const parts = t.parts;
    for (let i = 1; i <= t.partCount; i++) {
      const given = body.parts.find((p: unknown) => isRecord(p) && Number(p.partNumber) === i);
      const etag = parts.get(i);
      if (!etag) throw badRequest(`Part ${i} was never uploaded; upload it, then complete`);
      if (!isRecord(given) || String(given.etag).replace(/"/g, '') !== etag.replace(/"/g, '')) throw badRequest(`Part ${i} ETag does not match the uploaded part; re-upload it`);
    }
    const dir = partsDir(t, id);
    const count = t.partCount;
    async function* concat(): AsyncGenerator<Uint8Array> {
      for (let i = 1; i <= count; i++) yield* createReadStream(path.join(dir, String(i))) as AsyncIterable<Uint8Array>;
    }
    try {
      await store.putLfs(t.repo, t.oid, t.size, concat());
    } finally {
      await rm(dir, { recursive: true, force: true });
      tickets.delete(id);
    }
    sendJson(c.res, 200, {});
  }

  async function verify(c: Ctx, repo: string): Promise<void> {
    await readable(c, repo);
    const body = await readJson(c.req, limits.jsonBytes);
    if (!isRecord(body) || !isSha256(body.oid)) throw badRequest('Verify body must be {oid, size}');
    const size = Number(body.size);
    if (!(await store.hasLfs(repo, body.oid, size))) throw new HubError(404, 'LfsObjectMissing', `LFS object ${body.oid} (${size} bytes) is not stored; upload it again`);
    sendJson(c.res, 200, {});
  }

  async function lfsDownload(c: Ctx, repo: string, oid: string, head: boolean): Promise<void> {
    await readable(c, repo);
    if (!(await store.hasLfs(repo, oid))) throw new HubError(404, 'LfsObjectMissing', `LFS object ${oid} is not stored in ${repo}`);
    const file = store.lfsPath(repo, oid);
    const { size } = await stat(file);
    c.res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) });
    if (head) return void c.res.end();
    await pipeline(createReadStream(file), c.res);
  }

  async function resolveFile(c: Ctx, repo: string, rev: string, p: string, head: boolean): Promise<void> {
    await readable(c, repo);
    checkRepoPath(p);
    const commit = await store.resolve(repo, rev);
    const e = commit.files[p];
    if (!e) return sendError(c.res, entryNotFound(p), { 'X-Repo-Commit': commit.id });
    const headers: Record<string, string> = {
      'X-Repo-Commit': commit.id,
      ETag: `"${e.lfs ? e.lfs.sha256 : e.oid}"`,
      'Accept-Ranges': 'bytes',
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(path.posix.basename(p))}`,
    };
    if (e.lfs) {
      headers['X-Linked-Etag'] = `"${e.lfs.sha256}"`;
      headers['X-Linked-Size'] = String(e.size);
    }
    let range: { start: number; end: number } | null = null;
    try {
      range = e.size > 0 ? parseRange(c.req.headers.range, e.size) : null;
    } catch (err) {
      if (err instanceof HubError) return sendError(c.res, err, headers);
      throw err;
    }
    const file = store.blobPath(repo, e);
    await stat(file); // fail before the headers go out if the blob is missing
    if (range) {
      headers['Content-Range'] = `bytes ${range.start}-${range.end}/${e.size}`;
      headers['Content-Length'] = String(range.end - range.start + 1);
      c.res.writeHead(206, headers);
    } else {
      headers['Content-Length'] = String(e.size);
      c.res.writeHead(200, headers);
    }
    if (head) return void c.res.end();
    await pipeline(store.readStream(repo, e, range ?? undefined), c.res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = `http://${hostPort()}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function decodeCursor(cursor: string | null): number {
  if (!cursor) return 0;
  const n = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest('Invalid pagination cursor; follow the Link header as given');
  return n;
}

/** The YAML front matter of a model card: its data, or why it does not parse. */
export function frontMatter(text: string): { data: Record<string, unknown> | null; error?: string } {
  if (!text.startsWith('---')) return { data: null };
  const end = text.indexOf('\n---', 3);
  if (end < 0) return { data: null, error: 'YAML front matter starts with --- but never ends; close it with a --- line' };
  try {
    const data: unknown = parseYaml(text.slice(3, end));
    if (data !== null && !isRecord(data)) return { data: null, error: 'YAML front matter must be a mapping' };
    return { data: data ?? {} };
  } catch (e) {
    return { data: null, error: `Invalid YAML front matter: ${(e as Error).message.split('\n')[0]}` };
  }
}
