export { createHubServer, frontMatter, type HubServer, type HubServerOptions, type HubServerLimits } from './server.js';
export { HubError } from './errors.js';
export { parseTokens, loadTokensFile, type TokenInfo, type Role } from './tokens.js';
export { checkRepoPath } from './repo-path.js';
export { gitBlobOid, lfsPointer } from './git-oid.js';
