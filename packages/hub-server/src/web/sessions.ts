import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TokenInfo } from '../tokens.js';

export const SESSION_COOKIE = 'cliphub_session';

interface Session {
  who: TokenInfo;
  expires: number;
}

/**
 * Browser sign-ins: an opaque random id in an HttpOnly, SameSite=Strict cookie maps to the caller, in
 * memory only (a restart signs everyone out). The token itself is never stored in the browser. A session
 * reads only: it is honoured on GET and HEAD alone, so no cookie can ever reach a write route, whatever
 * the token's role (writes need the token as a bearer, as the Hub clients send it).
 */
export class Sessions {
  private readonly byId = new Map<string, Session>();

  constructor(
    private readonly ttlMs = 12 * 3600_000,
    private readonly max = 10_000,
  ) {}

  create(who: TokenInfo): string {
    const now = Date.now();
    if (this.byId.size >= this.max) {
      for (const [id, s] of this.byId) if (s.expires <= now) this.byId.delete(id);
      // still full: the oldest session (first in insertion order) makes room
      if (this.byId.size >= this.max) this.byId.delete(this.byId.keys().next().value as string);
    }
    const id = randomBytes(32).toString('base64url');
    this.byId.set(id, { who: { ...who, role: 'read' }, expires: now + this.ttlMs });
    return id;
  }

  get(id: string): TokenInfo | null {
    const s = this.byId.get(id);
    if (!s) return null;
    if (s.expires <= Date.now()) {
      this.byId.delete(id);
      return null;
    }
    return s.who;
  }

  delete(id: string): void {
    this.byId.delete(id);
  }
}

/** The value of one cookie from the request's Cookie header, or null. */
export function cookieValue(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The signed-in caller of a GET/HEAD request with a session cookie; null otherwise. */
export function sessionCaller(req: IncomingMessage, sessions: Sessions): TokenInfo | null {
  if (req.method !== 'GET' && req.method !== 'HEAD') return null;
  const id = cookieValue(req, SESSION_COOKIE);
  return id ? sessions.get(id) : null;
}
