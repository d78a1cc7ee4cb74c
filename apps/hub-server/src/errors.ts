/** A request the server refuses; `status` is the HTTP status, `code` goes into X-Error-Code. */
export class HubError extends Error {
  override name = 'HubError';
  /** Extra response headers (e.g. Content-Range on 416). */
  readonly headers: Record<string, string> = {};
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  /** Bad input (as opposed to a server fault), for callers that map errors to exit codes. */
  get exitCode(): number {
    return this.status >= 500 ? 1 : 2;
  }
}

export const badRequest = (msg: string): HubError => new HubError(400, 'BadRequest', msg);
export const unauthorized = (msg: string): HubError => new HubError(401, 'Unauthorized', msg);
export const forbidden = (msg: string): HubError => new HubError(403, 'Forbidden', msg);
export const repoNotFound = (repo: string): HubError =>
  new HubError(404, 'RepoNotFound', `Repository ${repo} not found (or you lack access); check the name and your token`);
export const revisionNotFound = (repo: string, rev: string): HubError =>
  new HubError(404, 'RevisionNotFound', `Revision '${rev}' not found in ${repo}; use a branch name, HEAD or a 40-hex commit`);
export const entryNotFound = (path: string): HubError =>
  new HubError(404, 'EntryNotFound', `Entry '${path}' not found at this revision`);
