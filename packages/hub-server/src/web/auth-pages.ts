import { HubError } from '../errors.js';
import { clientIp, type RouteContext } from '../router.js';
import { html } from './html.js';
import { layout, sendHtml } from './layout.js';
import { SESSION_COOKIE, cookieValue } from './sessions.js';

/** Only a local path may follow sign-in (no `//host`, no scheme), so the form cannot redirect elsewhere. */
export function safeNext(next: string | null | undefined): string {
  return next && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/';
}

/** Whether the cookie gets `Secure`: behind TLS (an https public URL, or a trusted proxy saying so). */
function isSecure(c: RouteContext): boolean {
  if (c.hub.publicUrl?.startsWith('https://')) return true;
  return c.hub.trustProxy && c.req.headers['x-forwarded-proto'] === 'https';
}

/** A form post from another site (login CSRF) is refused; browsers send Origin on every POST. */
function assertSameOrigin(c: RouteContext): void {
  const origin = c.req.headers.origin;
  if (origin === undefined) return;
  const host = c.req.headers.host;
  const expected = c.hub.publicUrl ? [c.hub.publicUrl] : [`http://${host}`, `https://${host}`];
  if (!expected.includes(origin))
    throw new HubError(403, 'Forbidden', 'Sign-in and sign-out are accepted only from this server’s own pages');
}

function loginForm(c: RouteContext, status: number, message?: string): void {
  const next = safeNext(c.query.get('next'));
  const body = html`<h1>Sign in</h1>
    <p>
      Paste a token from the server's tokens file. The server keeps it; your browser gets only a session cookie
      (HttpOnly, SameSite=Strict), which can read pages and download files but never write.
    </p>
    ${message ? html`<p class="error" id="login-error">${message}</p>` : ''}
    <form method="post" action="/login?next=${encodeURIComponent(next)}" id="login-form">
      <label>Token <input type="password" name="token" id="token" autocomplete="off" required /></label>
      <button type="submit" id="login-submit">Sign in</button>
    </form>`;
  sendHtml(c.res, status, layout({ title: 'Sign in · cliphub', who: c.who, body }));
}

/** GET /login */
export function loginPage(c: RouteContext): void {
  loginForm(c, 200);
}

/** POST /login: a form with `token`; on success a session cookie and a redirect to `next`. */
export async function login(c: RouteContext): Promise<void> {
  assertSameOrigin(c);
  const form = new URLSearchParams((await c.readBody()).toString('utf8'));
  const info = c.hub.tokens.get(form.get('token')?.trim() ?? '');
  if (!info) {
    // a wrong token costs from the same per-address budget as a bad bearer token
    const wait = c.hub.authFailures.take(clientIp(c.req, c.hub.trustProxy));
    return loginForm(
      c,
      wait > 0 ? 429 : 401,
      wait > 0 ? 'Too many failed sign-ins; wait a minute' : 'That token is not valid on this server',
    );
  }
  const id = c.hub.sessions.create(info);
  c.res.writeHead(303, {
    Location: safeNext(c.query.get('next')),
    'Set-Cookie': `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200${isSecure(c) ? '; Secure' : ''}`,
    'Cache-Control': 'no-store',
  });
  c.res.end();
}

/** POST /logout: forgets the session on the server and clears the cookie. */
export function logout(c: RouteContext): void {
  assertSameOrigin(c);
  const id = cookieValue(c.req, SESSION_COOKIE);
  if (id) c.hub.sessions.delete(id);
  c.res.writeHead(303, {
    Location: '/',
    'Set-Cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${isSecure(c) ? '; Secure' : ''}`,
    'Cache-Control': 'no-store',
  });
  c.res.end();
}
