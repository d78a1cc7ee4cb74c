import type { IncomingMessage } from 'node:http';
import { HubError, forbidden, repoNotFound, unauthorized } from './errors.js';
import type { RepoMeta } from './store.js';
import type { TokenInfo } from './tokens.js';

/** The caller behind a request's bearer token; null for anonymous. An unknown token is a 401, never a silent anonymous. */
export function authenticate(req: IncomingMessage, tokens: ReadonlyMap<string, TokenInfo>): TokenInfo | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  if (!m) throw unauthorized('Authorization header must be "Bearer <token>"');
  const info = tokens.get(m[1] as string);
  if (!info)
    throw new HubError(401, 'InvalidCredentials', 'Invalid credentials in Authorization header; check your token');
  return info;
}

export function isMember(who: TokenInfo | null, namespace: string): boolean {
  return !!who && (who.user === namespace || who.orgs.includes(namespace));
}

/** Private repos are 404 to anyone outside their namespace, so their existence does not leak. */
export function assertCanRead(who: TokenInfo | null, repo: string, meta: RepoMeta | null): asserts meta is RepoMeta {
  if (!meta || (meta.private && !isMember(who, repo.split('/')[0] as string))) throw repoNotFound(repo);
}

export function assertCanWriteNamespace(who: TokenInfo | null, namespace: string): asserts who is TokenInfo {
  if (!who) throw unauthorized(`Writing to '${namespace}' needs a token; pass a write token (Authorization: Bearer)`);
  if (!isMember(who, namespace))
    throw forbidden(
      `User '${who.user}' cannot write to namespace '${namespace}'; use a token of that user or of a member of that org`,
    );
  if (who.role !== 'write') throw forbidden(`This token is read-only; writing to '${namespace}' needs a write token`);
}

export function assertCanWrite(who: TokenInfo | null, repo: string, meta: RepoMeta | null): asserts who is TokenInfo {
  assertCanRead(who, repo, meta);
  assertCanWriteNamespace(who, repo.split('/')[0] as string);
}
