import type { IncomingMessage, ServerResponse } from 'node:http';
import { assertCanRead, assertCanWrite, assertCanWriteNamespace, authenticate } from './auth.js';
import { readBody, readJson, guardedBody, type BodyPolicy } from './body.js';
import { HubError, badRequest, retryLater, unauthorized } from './errors.js';
import type { Hub } from './hub.js';
import { allowCrossOrigin, answerPreflight } from './cors.js';
import { sendError } from './http-util.js';
import type { RepoMeta } from './store.js';
import { isName, type TokenInfo } from './tokens.js';
import type { UploadTicket } from './upload-tickets.js';
import { sessionCaller } from './web/sessions.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/**
 * Who may call a route, checked before any body is read:
 * - `anyone`: no token needed (validate-yaml);
 * - `token`: a valid token of any role (whoami);
 * - `writer`: a write token; the namespace is checked once the body names it (repo create/delete);
 * - `repo-read` / `repo-write`: the route's `:ns/:name` repo must exist and be readable / writable;
 * - `ticket`: the `:ticket` upload URL is the capability (LFS uploads carry no token); limits count
 *   against the user the ticket was issued to.
 */
export type Access = 'anyone' | 'token' | 'writer' | 'repo-read' | 'repo-write' | 'ticket';

/** Which body budget a route reads (limits.jsonBytes, commitBytes, lfsObjectBytes); none when absent. */
export type BodyKind = 'json' | 'commit' | 'upload';

/**
 * One entry of the route table. `path` is a pattern of `/`-separated segments: a literal, `:param`
 * (one segment; `:name.git` strips a literal suffix), `:rev` (a revision: one segment, or `refs/pr/N` and
 * `refs/heads/B` unencoded), `*path` (one or more segments joined) or `*path?` (zero or more).
 *
 * Later kinds of route slot into the same table: server-rendered pages are entries like `GET /:ns/:name`
 * (after the API entries, since the first match wins) whose handlers write HTML, and CORS for
 * transformers.js pages is a per-route property read in `dispatch`, where every response starts.
 */
export interface Route {
  methods: readonly Method[];
  path: string;
  access: Access;
  body?: BodyKind;
  /** Readable from pages on other origins (CORS headers, OPTIONS preflight); for GET/HEAD routes. */
  cors?: boolean;
  handle(c: RouteContext): Promise<void> | void;
}

/** What a handler gets: the request, its checked caller and repo, and guarded ways to read the body. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  hub: Hub;
  /** `http://host:port` as the client addressed the server (or the configured public URL). */
  base: string;
  query: URLSearchParams;
  params: Readonly<Record<string, string>>;
  who: TokenInfo | null;
  /** `ns/name` and its metadata, for repo routes (access checked). */
  repo: string;
  meta: RepoMeta | null;
  /** The upload ticket, for `ticket` routes. */
  ticket: UploadTicket | null;
  body(): AsyncIterable<Buffer>;
  readBody(): Promise<Buffer>;
  readJson(): Promise<unknown>;
}

interface CompiledRoute extends Route {
  segments: string[];
}

/** The route table, compiled for matching. */
export class Router {
  private routes: CompiledRoute[];
  constructor(routes: readonly Route[]) {
    this.routes = routes.map((r) => ({ ...r, segments: r.path.split('/').slice(1) }));
  }

  match(method: string, segs: string[]): { route: CompiledRoute; params: Record<string, string> } | null {
    for (const route of this.routes) {
      if (!route.methods.includes(method as Method)) continue;
      const params = matchSegments(route.segments, segs);
      if (params) return { route, params };
    }
    return null;
  }
}

/** Matches URL segments (already decoded) against a pattern; params in a prototype-free object. */
export function matchSegments(pattern: string[], segs: string[]): Record<string, string> | null {
  const params = Object.create(null) as Record<string, string>;
  let i = 0;
  for (const p of pattern) {
    if (p.startsWith('*')) {
      const optional = p.endsWith('?');
      const rest = segs.slice(i);
      if (!optional && (rest.length === 0 || rest.join('/') === '')) return null;
      params[p.slice(1).replace(/\?$/, '')] = rest.join('/');
      return params;
    }
    const seg = segs[i];
    if (seg === undefined) return null;
    if (p === ':rev') {
      if (seg === 'refs' && (segs[i + 1] === 'pr' || segs[i + 1] === 'heads') && segs[i + 2]) {
        params.rev = segs[i + 1] === 'pr' ? `refs/pr/${segs[i + 2]}` : (segs[i + 2] as string);
        i += 3;
        continue;
      }
      if (!seg) return null;
      params.rev = seg.startsWith('refs/heads/') ? seg.slice('refs/heads/'.length) : seg;
    } else if (p.startsWith(':')) {
      const [name, suffix] = p.slice(1).split('.') as [string, string | undefined];
      if (suffix !== undefined) {
        if (!seg.endsWith(`.${suffix}`)) return null;
        params[name] = seg.slice(0, -suffix.length - 1);
      } else params[name] = seg;
    } else if (p !== seg) return null;
    i++;
  }
  return i === segs.length ? params : null;
}

/** `ns/name`, or 400 when either part is not a Hub name. */
export function repoId(ns: string | undefined, name: string | undefined): string {
  if (!ns || !name || !isName(ns) || !isName(name))
    throw new HubError(
      400,
      'BadRepoId',
      `Invalid repo id '${ns ?? ''}/${name ?? ''}'; use NAMESPACE/NAME with letters, digits, '-', '_', '.'`,
    );
  return `${ns}/${name}`;
}

function decodeSegments(pathname: string): string[] {
  try {
    return pathname
      .split('/')
      .slice(1)
      .map((s) => decodeURIComponent(s));
  } catch {
    throw badRequest('Malformed percent-encoding in the URL');
  }
}

/** The client's address: the socket's, or behind a trusted proxy the one it appended to X-Forwarded-For. */
export function clientIp(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = req.headers['x-forwarded-for'];
  if (trustProxy && typeof forwarded === 'string') {
    const last = forwarded.split(',').pop()?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * Serves one request: route, caller, limits, access, then the handler. Everything that can refuse a
 * request happens before its body is read (see answerError for what becomes of an unread body).
 */
export async function dispatch(hub: Hub, router: Router, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://h');
  const segs = decodeSegments(url.pathname);
  if (method === 'OPTIONS' && router.match('GET', segs)?.route.cors) return answerPreflight(res);
  const found = router.match(method, segs);
  if (!found) {
    const where = segs[0] === 'api' ? 'API route' : segs[0] === '_lfs' ? 'LFS route' : 'route';
    throw new HubError(404, 'NotFound', `No ${where} ${method} ${url.pathname}`);
  }
  const { route, params } = found;
  // before anything can refuse the request, so a page can read the refusal too
  if (route.cors) allowCrossOrigin(res);
  const ip = clientIp(req, hub.trustProxy);

  let who: TokenInfo | null;
  try {
    // a bearer token wins; else a web UI session cookie, which only ever reads (see Sessions)
    who = authenticate(req, hub.tokens) ?? sessionCaller(req, hub.sessions);
  } catch (e) {
    // guessing tokens costs a budget per address, so a flood of bad tokens gets 429s, not lookups
    const wait = hub.authFailures.take(ip);
    if (wait > 0)
      throw retryLater(
        429,
        'TooManyRequests',
        'Too many requests with bad credentials from this address; slow down',
        wait,
      );
    throw e;
  }
  hub.onCaller(req, who);
  let ticket: UploadTicket | null = null;
  if (route.access === 'ticket') ticket = hub.tickets.get(params.ticket as string);

  const user = who?.user ?? ticket?.user;
  const key = user !== undefined ? `user:${user}` : `ip:${ip}`;
  const wait = (user !== undefined ? hub.userRate : hub.anonymousRate).take(key);
  if (wait > 0) throw retryLater(429, 'TooManyRequests', 'Too many requests; slow down and retry', wait);
  const inFlight = user !== undefined ? hub.userInFlight : hub.anonymousInFlight;
  if (!inFlight.enter(key))
    throw retryLater(429, 'TooManyRequests', 'Too many requests in flight at once; wait for some to finish', 1000);
  try {
    let repo = '';
    let meta: RepoMeta | null = null;
    if (route.access === 'repo-read' || route.access === 'repo-write') {
      repo = repoId(params.ns, params.name);
      meta = await hub.store.meta(repo);
      if (route.access === 'repo-read') assertCanRead(who, repo, meta);
      else assertCanWrite(who, repo, meta);
    } else if (route.access === 'token' && !who) {
      throw unauthorized('No token given; pass Authorization: Bearer <token>');
    } else if (route.access === 'writer') {
      if (!who) throw unauthorized('This needs a write token; pass Authorization: Bearer <token>');
      if (who.role !== 'write') assertCanWriteNamespace(who, who.user); // the read-only refusal, worded once
    }
    const policy = bodyPolicy(hub, route.body, who === null && ticket === null);
    const host = req.headers.host && /^[A-Za-z0-9.:[\]-]+$/.test(req.headers.host) ? req.headers.host : hub.hostPort();
    const c: RouteContext = {
      req,
      res,
      hub,
      base: hub.publicUrl ?? `http://${host}`,
      query: url.searchParams,
      params,
      who,
      repo,
      meta,
      ticket,
      body: () => guardedBody(req, policy),
      readBody: () => readBody(req, policy),
      readJson: () => readJson(req, policy),
    };
    await route.handle(c);
  } finally {
    inFlight.leave(key);
  }
}

function bodyPolicy(hub: Hub, kind: BodyKind | undefined, anonymous: boolean): BodyPolicy {
  const limit =
    kind === 'commit' ? hub.limits.commitBytes : kind === 'upload' ? hub.limits.lfsObjectBytes : hub.limits.jsonBytes;
  const what = kind === 'commit' ? 'The commit body' : kind === 'upload' ? 'The upload' : 'The request body';
  return {
    limit: kind === undefined ? 0 : anonymous ? Math.min(limit, hub.limits.anonymousBodyBytes) : limit,
    what,
    idleMs: hub.timeouts.bodyIdleMs,
    minBytesPerSecond: hub.timeouts.bodyMinBytesPerSecond,
  };
}

/** How long a refused request's unread body is discarded, so the client reads the answer rather than a reset. */
const LINGER_MS = 2000;

/**
 * Answers a refused or failed request. A body left unread is never parsed: Node discards what still
 * arrives, for LINGER_MS at most (closing at once would make the client see a reset instead of the
 * answer), then the connection is closed.
 */
export function answerError(req: IncomingMessage, res: ServerResponse, e: unknown, log: (line: string) => void): void {
  if (!req.complete && !req.destroyed)
    res.once('finish', () => {
      if (req.complete || req.destroyed) return;
      const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
      timer.unref();
      req.once('end', () => clearTimeout(timer));
      req.resume(); // discard, never buffer
    });
  if (e instanceof HubError) return sendError(res, e);
  log(`${new Date().toISOString()} error ${(e as Error)?.stack ?? String(e)}`);
  sendError(res, new HubError(500, 'InternalError', 'Internal server error; see the server log'));
}
