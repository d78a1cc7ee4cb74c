import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Sessions, cookieValue, sessionCaller } from './sessions.js';

const req = (method: string, cookie?: string): IncomingMessage =>
  ({ method, headers: cookie ? { cookie } : {} }) as IncomingMessage;

describe('Sessions', () => {
  it('maps a cookie to a read-only caller on GET and HEAD only', () => {
    const sessions = new Sessions();
    const id = sessions.create({ user: 'alice', role: 'write', orgs: ['acme'] });
    expect(sessionCaller(req('GET', `a=b; cliphub_session=${id}`), sessions)).toEqual({
      user: 'alice',
      role: 'read',
      orgs: ['acme'],
    });
    expect(sessionCaller(req('HEAD', `cliphub_session=${id}`), sessions)?.user).toBe('alice');
    expect(sessionCaller(req('POST', `cliphub_session=${id}`), sessions)).toBeNull();
    expect(sessionCaller(req('GET', 'cliphub_session=forged'), sessions)).toBeNull();
    sessions.delete(id);
    expect(sessionCaller(req('GET', `cliphub_session=${id}`), sessions)).toBeNull();
  });

  it('expires sessions and stays within its size', () => {
    const expired = new Sessions(-1);
    expect(expired.get(expired.create({ user: 'a', role: 'read', orgs: [] }))).toBeNull();
    const small = new Sessions(60_000, 2);
    const first = small.create({ user: 'a', role: 'read', orgs: [] });
    small.create({ user: 'b', role: 'read', orgs: [] });
    small.create({ user: 'c', role: 'read', orgs: [] });
    expect(small.get(first)).toBeNull();
  });

  it('reads one cookie out of a header', () => {
    expect(cookieValue(req('GET', 'x=1;  y = 2 ;z=3'), 'y')).toBe('2');
    expect(cookieValue(req('GET'), 'y')).toBeNull();
  });
});
