import { readFile } from 'node:fs/promises';
import { HubError } from './errors.js';

export type Role = 'read' | 'write';

export interface TokenInfo {
  user: string;
  role: Role;
  /** Organizations this user may write to (with a write token) and read private repos of. */
  orgs: string[];
}

/**
 * Parses a tokens file: one `TOKEN USER ROLE [ORG,...]` per line, `#` comments and blank lines ignored.
 * Errors name the line number, never the token itself.
 */
export function parseTokens(text: string): Map<string, TokenInfo> {
  const out = new Map<string, TokenInfo>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const [token, user, role, orgs, ...extra] = line.split(/\s+/);
    const where = `tokens file line ${i + 1}`;
    if (!token || !user || !role || extra.length > 0)
      throw new HubError(400, 'BadTokensFile', `${where}: expected 'TOKEN USER ROLE [ORG,...]'`);
    if (role !== 'read' && role !== 'write')
      throw new HubError(400, 'BadTokensFile', `${where}: ROLE must be 'read' or 'write', got '${role}'`);
    if (!isName(user)) throw new HubError(400, 'BadTokensFile', `${where}: user '${user}' is not a valid name`);
    const orgList = orgs ? orgs.split(',').filter(Boolean) : [];
    for (const o of orgList) if (!isName(o)) throw new HubError(400, 'BadTokensFile', `${where}: org '${o}' is not a valid name`);
    if (out.has(token)) throw new HubError(400, 'BadTokensFile', `${where}: duplicate token`);
    out.set(token, { user, role, orgs: orgList });
  });
  return out;
}

export async function loadTokensFile(file: string): Promise<Map<string, TokenInfo>> {
  return parseTokens(await readFile(file, 'utf8'));
}

/** Hub names: letters, digits, '-', '_', '.', not starting with '.' or '-'. */
export function isName(s: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,95}$/.test(s) && !s.includes('..') && !s.endsWith('.git');
}
