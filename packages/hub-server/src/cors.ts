import type { ServerResponse } from 'node:http';

/**
 * Read routes marked `cors` are open to pages on any origin (transformers.js in a browser fetches model files
 * from here): no cookies are involved, so `*` is safe; a page that wants a private repo sends its own
 * Authorization header, which the preflight allows. The exposed headers are the ones the Hub clients read.
 */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers':
    'Content-Length, Content-Range, Accept-Ranges, ETag, X-Repo-Commit, X-Linked-Etag, X-Linked-Size, X-Error-Code, X-Error-Message',
};

/** Sets the CORS headers on a response before it is written. */
export function allowCrossOrigin(res: ServerResponse): void {
  for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
}

/** Answers a CORS preflight for a `cors` route: GET and HEAD, with the headers browsers may add. */
export function answerPreflight(res: ServerResponse): void {
  res
    .writeHead(204, {
      ...CORS_HEADERS,
      'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization, Range, Content-Type, If-None-Match',
      'Access-Control-Max-Age': '86400',
    })
    .end();
}
