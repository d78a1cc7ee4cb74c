import type { ServerResponse } from 'node:http';
import type { TokenInfo } from '../tokens.js';
import { html, type SafeHtml } from './html.js';

/**
 * The pages' Content-Security-Policy: scripts only from this server (no inline script, no eval), WASM
 * compilation for onnxruntime-web ('wasm-unsafe-eval'), fetches only to this origin and to blob: URLs of
 * images the visitor picked, no plugins, no framing by others, forms only to this origin.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self' blob: data:",
  "worker-src 'self' blob:",
  "frame-src 'self'",
  "form-action 'self'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every HTML page carries. */
export function pageHeaders(csp = PAGE_CSP): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

export function sendHtml(
  res: ServerResponse,
  status: number,
  page: SafeHtml,
  extra: Record<string, string> = {},
): void {
  const body = Buffer.from(page.text);
  res.writeHead(status, { ...pageHeaders(), 'Content-Length': String(body.length), ...extra });
  res.end(body);
}

/** The shell of every page: header with sign-in state, then the content. */
export function layout(opts: {
  title: string;
  who: TokenInfo | null;
  body: SafeHtml;
  scripts?: string[];
  /** A same-origin path relative links resolve against (every other link on the pages is absolute). */
  base?: string;
}): SafeHtml {
  const account = opts.who
    ? html`<span class="user">Signed in as <strong id="signed-in-user">${opts.who.user}</strong></span>
        <form method="post" action="/logout" class="inline">
          <button type="submit" id="sign-out">Sign out</button>
        </form>`
    : html`<a href="/login" id="sign-in">Sign in</a>`;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${opts.title}</title>
        ${opts.base ? html`<base href="${opts.base}" />` : ''}
        <link rel="stylesheet" href="/_static/app.css" />
        <link rel="icon" href="data:," />
        ${(opts.scripts ?? []).map((s) => html`<script type="module" src="${s}"></script>`)}
      </head>
      <body>
        <header class="top">
          <a href="/" class="brand">cliphub</a>
          <nav>${account}</nav>
        </header>
        <main>${opts.body}</main>
      </body>
    </html> `;
}

/** An HTML error page with the status the API would answer. */
export function errorPage(status: number, message: string, who: TokenInfo | null): SafeHtml {
  return layout({
    title: `${status} · cliphub`,
    who,
    body: html`<h1>${status === 404 ? 'Not found' : 'Error'}</h1>
      <p class="error">${message}</p>`,
  });
}
