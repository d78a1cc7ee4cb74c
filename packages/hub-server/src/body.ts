import type { IncomingMessage } from 'node:http';
import { HubError, payloadTooLarge } from './errors.js';

/** How much of a request body the server accepts, and how slowly. */
export interface BodyPolicy {
  /** Largest body in bytes (413 above it, before reading when Content-Length says so). */
  limit: number;
  /** What the body is, for the 413 message ("a commit body"). */
  what: string;
  /** Waiting this long without `minBytesPerSecond` arriving drops the request (see HubServerTimeouts). */
  idleMs: number;
  minBytesPerSecond: number;
}

/** A request whose body stalled; the connection is closed, since a stalled client would not read an answer. */
export const bodyTimeout = (idleMs: number): HubError =>
  new HubError(408, 'RequestTimeout', `The request body stalled for ${Math.round(idleMs / 1000)} s; send it again`);

/**
 * The request body as chunks, refused past `limit` bytes and dropped when it stalls or trickles. Only time
 * spent waiting for the client counts: while the consumer applies backpressure (a slow disk), the clock stops.
 */
export async function* guardedBody(req: IncomingMessage, policy: BodyPolicy): AsyncGenerator<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > policy.limit) throw payloadTooLarge(policy.what, policy.limit);
  const minBytes = Math.max(1, (policy.minBytesPerSecond * policy.idleMs) / 1000);
  // not destroyed when abandoned: a refused body is then discarded while the client reads the answer (answerError)
  const chunks = (req.iterator({ destroyOnReturn: false }) as AsyncIterableIterator<Buffer>)[Symbol.asyncIterator]();
  let done = false;
  let total = 0;
  let windowWait = 0;
  let windowBytes = 0;
  let pending: Promise<IteratorResult<Buffer>> | null = null;
  try {
    for (;;) {
      pending ??= chunks.next();
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<'stalled'>((resolve) => {
        timer = setTimeout(() => resolve('stalled'), Math.max(1, policy.idleMs - windowWait));
      });
      const next = await Promise.race([pending, stalled]);
      clearTimeout(timer);
      windowWait += Date.now() - started;
      if (next === 'stalled' || windowWait >= policy.idleMs) {
        if (windowBytes < minBytes) {
          req.destroy();
          throw bodyTimeout(policy.idleMs);
        }
        windowWait = 0;
        windowBytes = 0;
        if (next === 'stalled') continue; // still waiting on the same chunk
      }
      pending = null;
      if (next.done) {
        done = true;
        return;
      }
      const chunk = next.value;
      total += chunk.length;
      windowBytes += chunk.length;
      if (total > policy.limit) throw payloadTooLarge(policy.what, policy.limit);
      yield chunk;
    }
  } finally {
    // abandoned early (refused, or the consumer failed): detach from the request without destroying it;
    // a read still pending must not surface as an unhandled rejection
    pending?.catch(() => undefined);
    if (!done) void chunks.return?.().catch(() => undefined);
  }
}

export async function readBody(req: IncomingMessage, policy: BodyPolicy): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of guardedBody(req, policy)) parts.push(chunk);
  return Buffer.concat(parts);
}

export async function readJson(req: IncomingMessage, policy: BodyPolicy): Promise<unknown> {
  const body = await readBody(req, policy);
  try {
    return JSON.parse(body.toString('utf8') || 'null');
  } catch {
    throw new HubError(400, 'BadJson', 'Request body is not valid JSON');
  }
}

/**
 * Splits a byte stream into lines (without the '\n'), holding at most one line: a line longer than
 * `maxLine` bytes is refused with 413 before it is buffered whole.
 */
export async function* splitLines(
  source: AsyncIterable<Buffer>,
  maxLine: number,
  what: string,
): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of source) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      length += end - start;
      if (length > maxLine) throw payloadTooLarge(what, maxLine);
      if (end > start) parts.push(chunk.subarray(start, end));
      if (nl < 0) break;
      yield parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, length);
      parts = [];
      length = 0;
      start = nl + 1;
    }
  }
  if (length > 0) yield Buffer.concat(parts, length);
}
