export { createHubServer, type HubServer, type HubServerOptions } from './server.js';
// every limit, its type and its default is public: a deployment tunes them
export * from './limits.js';
export { HubError, HubConfigError } from './errors.js';
export { parseTokens, loadTokensFile, type TokenInfo, type Role } from './tokens.js';
export { checkRepoPath } from './repo-path.js';
export { gitBlobOid, lfsPointer } from './git-oid.js';
export { parseCommitBody, CommitBodyParser, type CommitHeader, type CommitOperation } from './commit-body.js';
export { readFrontMatter, type FrontMatter } from './card.js';
export { lockDataDir, LOCK_FILE, type DataDirLock } from './data-dir-lock.js';
export { HUB_ROUTES } from './routes/index.js';
export type { Route, RouteContext, Access } from './router.js';
export {
  SERVE_OPTIONS,
  SERVE_OPTIONS_USAGE,
  serveFromArgs,
  serveOptionsFromArgs,
  serveUntilSignal,
} from './serve-options.js';
