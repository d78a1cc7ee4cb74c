import { badRequest, type HubError } from './errors.js';

/**
 * Checks a file path inside a repo and returns it unchanged, or throws: no '..', no absolute
 * paths, no backslashes, no empty segments, no control characters, no '.git/' internals, and at most
 * `maxDepth` folders deep.
 */
export function checkRepoPath(p: unknown, maxDepth = Infinity): string {
  const fail = (why: string): HubError =>
    badRequest(`Invalid path ${JSON.stringify(p)}: ${why}; use a relative path with '/' separators`);
  if (typeof p !== 'string' || p.length === 0) throw fail('empty or not a string');
  if (p.length > 1024) throw fail('longer than 1024 characters');
  if (p.includes('\\')) throw fail('backslashes are not allowed');
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) throw fail('absolute paths are not allowed');
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(p)) throw fail('control characters are not allowed');
  const parts = p.split('/');
  for (const s of parts) {
    if (s === '') throw fail('empty path segment');
    if (s === '.' || s === '..') throw fail("'.' and '..' segments are not allowed");
  }
  if (parts[0] === '.git') throw fail("'.git' is reserved");
  if (parts.length - 1 > maxDepth) throw fail(`more than ${maxDepth} folders deep`);
  return p;
}
