import type { ServerResponse } from 'node:http';
import { HubError } from './errors.js';

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json; charset=utf-8',
): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(body.length), ...headers });
  res.end(body);
}

/** JSON error with X-Error-Code / X-Error-Message, which huggingface_hub maps to its exception types. */
export function sendError(res: ServerResponse, err: HubError, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(
    res,
    err.status,
    { error: err.message },
    {
      'X-Error-Code': err.wireCode,
      'X-Error-Message': err.message.replace(/[^\x20-\x7e]/g, '?'),
      ...extra,
      ...err.headers,
    },
  );
}

/** Plain object check for parsed JSON. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` -> inclusive range; null when absent; HubError 416 when unsatisfiable. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // multi-range or junk: serve the whole file, as RFC 9110 allows
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) {
    const e = new HubError(416, 'RangeNotSatisfiable', `Range ${header} is outside the file (${size} bytes)`);
    e.headers['Content-Range'] = `bytes */${size}`;
    throw e;
  }
  return { start, end };
}
