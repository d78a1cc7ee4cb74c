import { CliphubError } from '@cliphub/core';

/**
 * A request the server refuses. `status` is the HTTP status; `wireCode` is the Hub's own error name
 * (RepoNotFound, …), which goes into X-Error-Code because Hub clients read it; `code` is the same name in
 * cliphub's UPPER_SNAKE style. Server faults (5xx) count as failed checks (exit 1), the rest as bad input.
 */
export class HubError extends CliphubError {
  override name = 'HubError';
  /** Extra response headers (e.g. Content-Range on 416, Retry-After on 429). */
  readonly headers: Record<string, string> = {};
  constructor(
    readonly status: number,
    readonly wireCode: string,
    message: string,
  ) {
    super(wireCode.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase(), message, { exitCode: status >= 500 ? 1 : 2 });
  }
}

export const badRequest = (msg: string): HubError => new HubError(400, 'BadRequest', msg);
export const unauthorized = (msg: string): HubError => new HubError(401, 'Unauthorized', msg);
export const forbidden = (msg: string): HubError => new HubError(403, 'Forbidden', msg);
export const repoNotFound = (repo: string): HubError =>
  new HubError(404, 'RepoNotFound', `Repository ${repo} not found (or you lack access); check the name and your token`);
export const revisionNotFound = (repo: string, rev: string): HubError =>
  new HubError(
    404,
    'RevisionNotFound',
    `Revision '${rev}' not found in ${repo}; use a branch name, HEAD or a 40-hex commit`,
  );
export const entryNotFound = (path: string): HubError =>
  new HubError(404, 'EntryNotFound', `Entry '${path}' not found at this revision`);
export const payloadTooLarge = (what: string, limit: number): HubError =>
  new HubError(413, 'PayloadTooLarge', `${what} exceeds the server limit of ${limit}; split the request`);

/** 429 or 503 with Retry-After (whole seconds, at least 1), which both Hub clients honour. */
export function retryLater(status: 429 | 503, wireCode: string, message: string, retryAfterMs: number): HubError {
  const e = new HubError(status, wireCode, message);
  e.headers['Retry-After'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  return e;
}

/** A server that cannot start as configured (bad tokens file, data dir in use, bad option): exit 2. */
export class HubConfigError extends CliphubError {
  override name = 'HubConfigError';
  constructor(code: 'BAD_TOKENS_FILE' | 'DATA_DIR_LOCKED' | 'BAD_OPTION', message: string) {
    super(code, message, { exitCode: 2 });
  }
}
