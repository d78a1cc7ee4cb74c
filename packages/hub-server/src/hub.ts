import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { CardParser } from './card.js';
import type { HubServerLimits, HubServerTimeouts } from './limits.js';
import { LruCache } from './lru.js';
import type { ConcurrencyLimiter, RateLimiter, Semaphore } from './rate-limit.js';
import type { Commit, Store } from './store.js';
import type { TokenInfo } from './tokens.js';
import { TreeIndex } from './tree-index.js';
import type { Sessions } from './web/sessions.js';
import type { UploadTicket, UploadTickets } from './upload-tickets.js';

/** Everything a route handler shares with the others: storage, caches, limits and limiters. */
export interface Hub {
  store: Store;
  tokens: ReadonlyMap<string, TokenInfo>;
  limits: HubServerLimits;
  timeouts: HubServerTimeouts;
  /** Tree page size (the Hub uses 1000). */
  pageSize: number;
  tickets: UploadTickets;
  cards: CardParser;
  /** Browser sign-ins of the web UI (read-only, GET/HEAD only). */
  sessions: Sessions;
  trees: TreeCache;
  /** Commit bodies being parsed at once. */
  commitSlots: Semaphore;
  userRate: RateLimiter;
  anonymousRate: RateLimiter;
  authFailures: RateLimiter;
  userInFlight: ConcurrencyLimiter;
  anonymousInFlight: ConcurrencyLimiter;
  trustProxy: boolean;
  /** The URL clients reach the server at, when it differs from the Host header (behind a TLS proxy). */
  publicUrl: string | null;
  hostPort(): string;
  /** Records who made a request (the request log names the user, never the token). */
  onCaller(req: IncomingMessage, who: TokenInfo | null): void;
  log(line: string): void;
}

/** Tree indexes of recent commits, weighed by entry count. */
export class TreeCache {
  private cache = new LruCache<string, TreeIndex>(1_000_000, (t) => t.size + 1);

  of(repo: string, commit: Commit): TreeIndex {
    const key = `${repo}@${commit.id}`;
    let index = this.cache.get(key);
    if (!index) this.cache.set(key, (index = new TreeIndex(commit.files)));
    return index;
  }

  dropRepo(repo: string): void {
    this.cache.deleteWhere((k) => k.startsWith(`${repo}@`));
  }
}

/** A multipart upload's part folder: under the server's `uploads/`, outside every repo, named by a hash of the ticket. */
export function partsDir(store: Store, ticket: UploadTicket): string {
  return path.join(store.root, 'uploads', createHash('sha256').update(ticket.id).digest('hex').slice(0, 32));
}
