import { mkdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CardParser } from './card.js';
import { lockDataDir } from './data-dir-lock.js';
import { HubConfigError } from './errors.js';
import { TreeCache, partsDir, type Hub } from './hub.js';
import {
  DEFAULT_LIMITS,
  DEFAULT_RATE_LIMITS,
  DEFAULT_TIMEOUTS,
  type HubServerLimits,
  type HubServerRateLimits,
  type HubServerTimeouts,
} from './limits.js';
import { ConcurrencyLimiter, RateLimiter, Semaphore } from './rate-limit.js';
import { Router, answerError, dispatch } from './router.js';
import { HUB_ROUTES } from './routes/index.js';
import { Store } from './store.js';
import { MIN_TOKEN_LENGTH, isName, loadTokensFile, type TokenInfo } from './tokens.js';
import { UploadTickets } from './upload-tickets.js';
import { Sessions } from './web/sessions.js';

export interface HubServerOptions {
  /** Where repositories live; created when missing. One server per data dir (a lock file enforces it). */
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
  rateLimits?: Partial<HubServerRateLimits>;
  timeouts?: Partial<HubServerTimeouts>;
  /** Behind a reverse proxy: take the client address from the last X-Forwarded-For entry. */
  trustProxy?: boolean;
  /** The URL clients use (e.g. https://hub.example.org behind a TLS proxy), for absolute URLs in answers. */
  publicUrl?: string;
}

export interface HubServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts a Hub-compatible HTTP server (see README.md for the endpoints); resolves once listening. Refuses
 * to start (HubConfigError, exit 2) on a bad tokens file or a data dir another server holds.
 */
export async function createHubServer(opts: HubServerOptions): Promise<HubServer> {
  const limits: HubServerLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const rates: HubServerRateLimits = { ...DEFAULT_RATE_LIMITS, ...opts.rateLimits };
  const timeouts: HubServerTimeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const tokens = new Map<string, TokenInfo>(opts.tokensFile ? await loadTokensFile(opts.tokensFile) : []);
  const given = opts.tokens instanceof Map ? opts.tokens : Object.entries(opts.tokens ?? {});
  for (const [token, info] of given) {
    if (token.length < MIN_TOKEN_LENGTH || !isName(info.user))
      throw new HubConfigError(
        'BAD_OPTION',
        `a token given in options is shorter than ${MIN_TOKEN_LENGTH} characters or names an invalid user`,
      );
    tokens.set(token, info);
  }
  const publicUrl = opts.publicUrl ? opts.publicUrl.replace(/\/+$/, '') : null;
  if (publicUrl !== null && !/^https?:\/\/[^/\s]+$/.test(publicUrl))
    throw new HubConfigError('BAD_OPTION', `publicUrl must be http(s)://HOST[:PORT] with no path, got '${publicUrl}'`);

  const root = path.resolve(opts.dataDir);
  await mkdir(root, { recursive: true });
  const lock = await lockDataDir(root);
  const log = opts.log ?? (() => {});
  let server: Server | undefined;
  let tickets: UploadTickets | undefined;
  let cards: CardParser | undefined;
  try {
    const store = new Store(root, { repoFiles: limits.repoFiles });
    await store.open();
    tickets = new UploadTickets({
      ttlMs: limits.ticketTtlMs,
      perUser: limits.ticketsPerUser,
      total: limits.tickets,
      // a multipart upload's parts go with its ticket, whether it completed, expired or its repo was deleted
      onRemove: (t) => void rm(partsDir(store, t), { recursive: true, force: true }).catch(() => undefined),
    });
    cards = new CardParser(limits);
    const callers = new WeakMap<IncomingMessage, TokenInfo>();
    const hub: Hub = {
      store,
      tokens,
      limits,
      timeouts,
      pageSize: opts.pageSize ?? 1000,
      tickets,
      cards,
      sessions: new Sessions(),
      trees: new TreeCache(),
      commitSlots: new Semaphore(limits.concurrentCommits),
      userRate: new RateLimiter(rates.userRate, rates.userBurst),
      anonymousRate: new RateLimiter(rates.anonymousRate, rates.anonymousBurst),
      authFailures: new RateLimiter(rates.authFailuresPerMinute / 60, rates.authFailureBurst),
      userInFlight: new ConcurrencyLimiter(rates.userConcurrency),
      anonymousInFlight: new ConcurrencyLimiter(rates.anonymousConcurrency),
      trustProxy: opts.trustProxy ?? false,
      publicUrl,
      hostPort,
      onCaller: (req, who) => void (who && callers.set(req, who)),
      log,
    };

    const router = new Router(HUB_ROUTES);
    const listener = createServer(
      {
        headersTimeout: timeouts.headersMs,
        requestTimeout: 0, // large uploads may take long; bodies are guarded by idle and rate checks instead
        keepAliveTimeout: timeouts.keepAliveMs,
        // Node checks headersTimeout on this interval; a short one keeps slow-header clients from lingering
        connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(timeouts.headersMs / 4))),
      },
      (req, res) => {
        const started = Date.now();
        const line = (status: string): void => {
          // the path only: no query, no headers; upload tickets are capabilities, so they are masked too
          const p = (req.url ?? '').split('?')[0]?.replace(/\/_lfs\/upload\/[^/]+/, '/_lfs/upload/***');
          const who = callers.get(req);
          log(
            `${new Date().toISOString()} ${req.method} ${p} ${status} ${Date.now() - started}ms ${who ? who.user : '-'}`,
          );
        };
        res.on('finish', () => line(String(res.statusCode)));
        res.on('close', () => {
          if (!res.writableFinished) line('dropped');
        });
        dispatch(hub, router, req, res).catch((e: unknown) => answerError(req, res, e, log));
      },
    );
    server = listener;
    listener.timeout = timeouts.socketIdleMs; // no traffic either way for this long: the socket is closed
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
        listener.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    tickets?.close();
    cards?.close();
    await lock.release();
    throw e;
  }
  const listening = server;
  const ticketBook = tickets;
  const cardParser = cards;

  function hostPort(): string {
    const a = (server as Server).address() as AddressInfo;
    return `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  return {
    url: `http://${hostPort()}`,
    close: async () => {
      await new Promise<void>((resolve) => {
        listening.close(() => resolve());
        listening.closeAllConnections();
      });
      ticketBook.close();
      cardParser.close();
      await lock.release();
    },
  };
}
