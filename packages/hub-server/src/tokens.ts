import { MAX_CONFIG_FILE_BYTES, readSmallTextFile, type CliphubError, type SmallFileErrorCode } from '@cliphub/core';
import { HubConfigError } from './errors.js';

export type Role = 'read' | 'write';

export interface TokenInfo {
  user: string;
  role: Role;
  /** Organizations this user may write to (with a write token) and read private repos of. */
  orgs: string[];
}

/** Shortest token accepted: shorter ones are guessable, and a short first field is usually a misordered line. */
export const MIN_TOKEN_LENGTH = 16;
const FORMAT = "the format is 'TOKEN USER ROLE [ORG,...]'";

/**
 * Parses a tokens file: one `TOKEN USER ROLE [ORG,...]` per line, blank lines and `#` comments (a whole
 * line, or after whitespace) ignored. Strict, because a misordered line must not silently create a user
 * named after a token: TOKEN is 16+ printable characters, USER and ORGs are Hub names that do not start
 * with `hf_`, ROLE is `read` or `write`. Errors name the line and field, and never echo any field's
 * value, since a misordered line puts the token where a name should be.
 */
export function parseTokens(text: string): Map<string, TokenInfo> {
  const out = new Map<string, TokenInfo>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) return;
    const fields = line.split(/\s+/);
    const fail = (why: string): HubConfigError =>
      new HubConfigError('BAD_TOKENS_FILE', `tokens file line ${index + 1}: ${why}; ${FORMAT}`);
    if (fields.length < 3 || fields.length > 4) throw fail(`expected 3 or 4 fields, found ${fields.length}`);
    const [token, user, role, orgs] = fields as [string, string, string, string | undefined];
    if (isRole(token) || isRole(user)) throw fail('ROLE is out of place (it is the third field, after TOKEN and USER)');
    if (!isRole(role)) throw fail("field 3 (ROLE) must be 'read' or 'write'");
    if (token.length < MIN_TOKEN_LENGTH)
      throw fail(`field 1 (TOKEN) is shorter than ${MIN_TOKEN_LENGTH} characters, so the fields may be out of order`);
    if (!/^[\x21-\x7e]+$/.test(token)) throw fail('field 1 (TOKEN) must be printable ASCII');
    if (looksLikeToken(user)) throw fail("field 2 (USER) starts with 'hf_', so it looks like a token");
    if (!isName(user)) throw fail("field 2 (USER) is not a valid name (letters, digits, '-', '_', '.')");
    const orgList = orgs ? orgs.split(',').filter(Boolean) : [];
    for (const org of orgList) {
      if (looksLikeToken(org)) throw fail("field 4 (ORG) starts with 'hf_', so it looks like a token");
      if (!isName(org)) throw fail("field 4 (ORG) holds an invalid name (letters, digits, '-', '_', '.')");
    }
    if (out.has(token)) throw fail(`this token already appears on an earlier line`);
    out.set(token, { user, role, orgs: orgList });
  });
  return out;
}

export async function loadTokensFile(file: string): Promise<Map<string, TokenInfo>> {
  let text: string;
  try {
    text = readSmallTextFile(file, MAX_CONFIG_FILE_BYTES, 'tokens file');
  } catch (e) {
    const error = e as CliphubError<SmallFileErrorCode>;
    // a missing file says only its errno, as before; an oversized or special one says why in full
    const reason =
      error.code === 'UNREADABLE'
        ? ((error.cause as NodeJS.ErrnoException | undefined)?.code ?? 'error')
        : error.message;
    throw new HubConfigError('BAD_TOKENS_FILE', `cannot read the tokens file ${file}: ${reason}`);
  }
  return parseTokens(text);
}

/** Hub names: letters, digits, '-', '_', '.', not starting with '.' or '-'. */
export function isName(s: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,95}$/.test(s) && !s.includes('..') && !s.endsWith('.git');
}

const isRole = (s: string): s is Role => s === 'read' || s === 'write';
const looksLikeToken = (s: string): boolean => s.toLowerCase().startsWith('hf_');
