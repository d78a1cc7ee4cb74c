import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBody, splitLines } from './body.js';
import { HubError } from './errors.js';

async function lines(chunks: string[], max = 100): Promise<string[]> {
  const out: string[] = [];
  for await (const l of splitLines(Readable.from(chunks.map((c) => Buffer.from(c))), max, 'A line'))
    out.push(l.toString());
  return out;
}

describe('splitLines', () => {
  it('splits across chunk boundaries, keeps the last unterminated line, and refuses a line over the cap', async () => {
    expect(await lines(['ab', 'c\nd', 'e\n\nf'])).toEqual(['abc', 'de', '', 'f']);
    expect(await lines(['a\n'])).toEqual(['a']);
    await expect(lines(['x'.repeat(60), 'y'.repeat(60), '\n'])).rejects.toThrow(
      /A line exceeds the server limit of 100/,
    );
  });
});

/** Serves one request whose body is read by readBody with these timings; resolves with its outcome. */
async function guarded(send: (req: ReturnType<typeof request>) => void, limit = 1000): Promise<string> {
  let outcome = '';
  const server = createServer((req: IncomingMessage, res) => {
    readBody(req, { limit, what: 'The body', idleMs: 300, minBytesPerSecond: 100 }).then(
      (b) => {
        outcome = `ok ${b.length}`;
        res.end();
      },
      (e: unknown) => {
        outcome = e instanceof HubError ? `${e.status}` : String(e);
        res.destroy();
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    const req = request({ port, method: 'POST', path: '/', headers: { 'Content-Length': 200 } });
    req.on('error', () => resolve());
    req.on('response', (r) => r.resume().on('end', resolve));
    req.on('close', () => resolve());
    send(req);
  });
  server.close();
  return outcome;
}

describe('guardedBody', () => {
  it('reads a prompt body, drops a stalled or trickling one (408), refuses an oversized one (413)', async () => {
    expect(await guarded((req) => req.end('x'.repeat(200)))).toBe('ok 200');
    expect(await guarded((req) => req.write('x'.repeat(100)))).toBe('408');
    expect(
      await guarded((req) => {
        const t = setInterval(() => (req.destroyed ? clearInterval(t) : req.write('x')), 50); // 20 B/s < 100 B/s
      }),
    ).toBe('408');
    expect(await guarded((req) => req.end('x'.repeat(200)), 100)).toBe('413');
  });
});
