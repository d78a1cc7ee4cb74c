const KiB = 1024;
const MiB = 1024 * KiB;

/** Sizes and counts every request is held to; each has a default that real clients stay well under. */
export interface HubServerLimits {
  /** Largest JSON API body (preupload, paths-info, batch...). */
  jsonBytes: number;
  /** Largest body from a caller without a token (validate-yaml, paths-info and LFS batch on public repos). */
  anonymousBodyBytes: number;
  /** Largest NDJSON commit body (regular files travel inline, base64). */
  commitBytes: number;
  /** Longest single NDJSON commit line: one inline file (preupload sends files of 10 MiB and up to LFS). */
  commitLineBytes: number;
  /** Commit bodies parsed at once, server-wide; more wait up to `commitQueueMs`, then get 503. */
  concurrentCommits: number;
  commitQueueMs: number;
  /** Operations in one commit, and files in one snapshot. */
  commitOperations: number;
  repoFiles: number;
  /** Largest single LFS object. */
  lfsObjectBytes: number;
  /** Objects in one LFS batch request, and multipart part URLs in one batch response. */
  batchObjects: number;
  batchParts: number;
  /** Folders in a file path, and paths in one paths-info or preupload request. */
  pathDepth: number;
  pathsPerRequest: number;
  /** Model-card YAML front matter: bytes, nodes (keys + values + items), nesting depth, aliases, parse time. */
  cardBytes: number;
  cardNodes: number;
  cardDepth: number;
  cardAliases: number;
  cardParseMs: number;
  /** Pending upload tickets (each LFS object announced but not yet uploaded): per user and in all. */
  ticketsPerUser: number;
  tickets: number;
  ticketTtlMs: number;
}

export const DEFAULT_LIMITS: Readonly<HubServerLimits> = {
  jsonBytes: 8 * MiB,
  anonymousBodyBytes: 256 * KiB,
  commitBytes: 128 * MiB,
  commitLineBytes: 24 * MiB,
  concurrentCommits: 4,
  commitQueueMs: 30_000,
  commitOperations: 50_000,
  repoFiles: 200_000,
  lfsObjectBytes: 64 * 1024 * MiB,
  batchObjects: 1000,
  batchParts: 20_000,
  pathDepth: 64,
  pathsPerRequest: 10_000,
  cardBytes: 128 * KiB,
  cardNodes: 20_000,
  cardDepth: 32,
  cardAliases: 50,
  cardParseMs: 2_000,
  ticketsPerUser: 10_000,
  tickets: 100_000,
  ticketTtlMs: 3_600_000,
};

/** Per-caller request budgets. A caller is a user (by token) or, without a valid token, an IP address. */
export interface HubServerRateLimits {
  /** Sustained requests per second and burst, per user. */
  userRate: number;
  userBurst: number;
  /** The same per IP address for anonymous callers. */
  anonymousRate: number;
  anonymousBurst: number;
  /** Requests with a bad token, per IP address: per minute and burst. */
  authFailuresPerMinute: number;
  authFailureBurst: number;
  /** Requests in flight at once, per user and per anonymous IP. */
  userConcurrency: number;
  anonymousConcurrency: number;
}

export const DEFAULT_RATE_LIMITS: Readonly<HubServerRateLimits> = {
  userRate: 200,
  userBurst: 1000,
  anonymousRate: 50,
  anonymousBurst: 200,
  authFailuresPerMinute: 60,
  authFailureBurst: 20,
  userConcurrency: 32,
  anonymousConcurrency: 16,
};

/** Connection timeouts: slow or stalled clients are dropped, so they cannot hold sockets and memory. */
export interface HubServerTimeouts {
  /** Time to receive a request's headers. */
  headersMs: number;
  /** A request body that sends nothing for this long is dropped (the connection is closed). */
  bodyIdleMs: number;
  /**
   * A body that arrives slower than this, averaged over each `bodyIdleMs` window, is dropped: a client
   * trickling a byte at a time holds a connection as surely as a silent one.
   */
  bodyMinBytesPerSecond: number;
  /** A connection with no traffic either way for this long is closed (stalled downloads included). */
  socketIdleMs: number;
  /** Idle keep-alive connections between requests. */
  keepAliveMs: number;
}

export const DEFAULT_TIMEOUTS: Readonly<HubServerTimeouts> = {
  headersMs: 30_000,
  bodyIdleMs: 30_000,
  bodyMinBytesPerSecond: 1024,
  socketIdleMs: 120_000,
  keepAliveMs: 5_000,
};
