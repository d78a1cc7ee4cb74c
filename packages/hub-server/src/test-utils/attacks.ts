import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';

/**
 * The hub-server attacks of issue 17 (H1–H7), each reproduced as the audit named it, for the attack tests
 * and the load benchmark. A target is a running server and tokens: `alice` writes to alice/*, `carol`
 * writes to carol/*, `bob` only reads.
 */
export interface Target {
  url: string;
  tokens: { alice: string; bob: string; carol: string };
}

export interface Timed<T> {
  ms: number;
  value: T;
}

export async function timed<T>(fn: () => Promise<T>): Promise<Timed<T>> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const auth = (token?: string): Record<string, string> => (token ? { Authorization: `Bearer ${token}` } : {});

/** A request answered in full; `bytes` is the body length (bodies are not kept, so huge answers cost nothing here). */
export async function send(
  t: Target,
  method: string,
  path: string,
  opts: { token?: string; body?: string | Buffer; type?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; bytes: number; headers: Headers; text: string }> {
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: {
      ...auth(opts.token),
      ...(opts.body !== undefined && { 'Content-Type': opts.type ?? 'application/json' }),
      ...opts.headers,
    },
    body: opts.body,
  });
  let bytes = 0;
  let text = '';
  for await (const chunk of res.body ?? []) {
    bytes += (chunk as Uint8Array).byteLength;
    if (text.length < 4096) text += Buffer.from(chunk as Uint8Array).toString('utf8');
  }
  return { status: res.status, bytes, headers: res.headers, text: text.slice(0, 4096) };
}

export const ndjson = (lines: unknown[]): string => lines.map((l) => JSON.stringify(l)).join('\n');

/** A raw NDJSON commit of regular files. */
export function commitBody(files: Array<[string, string | Buffer]>, summary = 'attack setup'): string {
  return ndjson([
    { key: 'header', value: { summary } },
    ...files.map(([path, content]) => ({
      key: 'file',
      value: { path, content: Buffer.from(content).toString('base64'), encoding: 'base64' },
    })),
  ]);
}

export async function createRepo(t: Target, name: string, token: string, isPrivate = false): Promise<void> {
  const r = await send(t, 'POST', '/api/repos/create', {
    token,
    body: JSON.stringify({ name, type: 'model', private: isPrivate }),
  });
  if (r.status !== 200 && r.status !== 409) throw new Error(`create ${name}: ${r.status} ${r.text}`);
}

export async function commitFiles(t: Target, repo: string, token: string, files: Array<[string, string | Buffer]>) {
  return send(t, 'POST', `/api/models/${repo}/commit/main`, {
    token,
    body: commitBody(files),
    type: 'application/x-ndjson',
  });
}

/** H1: front matter with `keys` keys (`a0: 0` …; 40k keys is about 429 KB). */
export function yamlKeys(keys: number): string {
  let s = '---\n';
  for (let i = 0; i < keys; i++) s += `a${i}: ${i}\n`;
  return `${s}---\n# card\n`;
}

/** H1: POST /api/validate-yaml with a many-keyed card. */
export function validateYaml(t: Target, content: string, token?: string) {
  return send(t, 'POST', '/api/validate-yaml', { token, body: JSON.stringify({ content, repoType: 'model' }) });
}

/** H2: a commit of `n` files `d{i}/f` (20,000 make a 1.2 MB body). */
export function manyFolders(n: number): Array<[string, string]> {
  return Array.from({ length: n }, (_, i) => [`d${i}/f`, 'x'] as [string, string]);
}

/** H2: paths-info for `n` paths that do not exist. */
export function missingPathsInfo(t: Target, repo: string, n: number, token?: string) {
  const paths = Array.from({ length: n }, (_, i) => `missing/${i}/file.bin`);
  return send(t, 'POST', `/api/models/${repo}/paths-info/main`, { token, body: JSON.stringify({ paths }) });
}

/** An LFS batch request (upload) for these objects. */
export function lfsBatch(t: Target, repo: string, objects: Array<{ oid: string; size: number }>, token?: string) {
  return send(t, 'POST', `/${repo}.git/info/lfs/objects/batch`, {
    token,
    type: 'application/vnd.git-lfs+json',
    body: JSON.stringify({ operation: 'upload', transfers: ['basic', 'multipart'], objects }),
  });
}

export const fakeOid = (i: number): string => createHash('sha256').update(`object ${i}`).digest('hex');

/** H4: a ~10 KB batch of `n` objects each claiming 64 GiB. */
export function hugeClaims(n = 90): Array<{ oid: string; size: number }> {
  return Array.from({ length: n }, (_, i) => ({ oid: fakeOid(i), size: 64 * 1024 ** 3 }));
}

/**
 * H5: opens `n` connections that each send headers announcing a body of `declared` bytes and then only
 * `sent` of them. Resolves with the time (ms from the start) at which the server closed each socket, or
 * null for those still open after `waitMs`; every socket is closed before it resolves.
 */
export async function halfSentBodies(
  t: Target,
  n: number,
  waitMs: number,
  opts: { path?: string; declared?: number; sent?: number; token?: string } = {},
): Promise<Array<number | null>> {
  const { hostname, port } = new URL(t.url);
  const path = opts.path ?? '/api/validate-yaml';
  const declared = opts.declared ?? 1000;
  const sent = opts.sent ?? 500;
  const t0 = performance.now();
  const sockets: Socket[] = [];
  const closedAt = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<number | null>((resolve) => {
          const s = connect(Number(port), hostname);
          sockets.push(s);
          const timer = setTimeout(() => resolve(null), waitMs);
          s.on('error', () => undefined);
          s.on('close', () => {
            clearTimeout(timer);
            resolve(performance.now() - t0);
          });
          s.write(
            `POST ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\n` +
              (opts.token ? `Authorization: Bearer ${opts.token}\r\n` : '') +
              `Content-Length: ${declared}\r\n\r\n${'x'.repeat(sent)}`,
          );
          s.resume(); // read (and ignore) any answer, as a client would
        }),
    ),
  );
  for (const s of sockets) s.destroy();
  return closedAt;
}

/** H5 (headers): a client that sends part of a request line and then nothing. */
export function slowHeaders(t: Target, waitMs: number): Promise<number | null> {
  const { hostname, port } = new URL(t.url);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = connect(Number(port), hostname);
    const timer = setTimeout(() => {
      s.destroy();
      resolve(null);
    }, waitMs);
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - t0);
    });
    s.write(`GET /api/whoami-v2 HTTP/1.1\r\nHost: ${hostname}\r\nX-Slow: `);
    s.resume(); // read whatever the server answers, so its close is seen
  });
}

/** H5 (trickle): a body sent one byte every `everyMs`; resolves with when the server closed it, or null. */
export function trickleBody(t: Target, everyMs: number, waitMs: number): Promise<number | null> {
  const { hostname, port } = new URL(t.url);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request({
      host: hostname,
      port,
      method: 'POST',
      path: '/api/validate-yaml',
      headers: { 'Content-Type': 'application/json', 'Content-Length': 100_000 },
    });
    const drip = setInterval(() => req.write('x'), everyMs);
    const done = (v: number | null): void => {
      clearInterval(drip);
      clearTimeout(timer);
      req.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(null), waitMs);
    req.on('error', () => done(performance.now() - t0));
    req.on('close', () => done(performance.now() - t0));
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => done(performance.now() - t0));
    });
    req.flushHeaders();
  });
}

/** H6: `n` requests with a wrong token, `parallel` at a time; status counts and whether 429s carry Retry-After. */
export async function badTokenFlood(t: Target, n: number, parallel = 20) {
  const statuses = new Map<number, number>();
  let retryAfter = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n) {
        next++;
        const r = await send(t, 'GET', '/api/whoami-v2', { token: `hf_wrong_${next}_0123456789abcdef` });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 429 && Number(r.headers.get('retry-after')) >= 1) retryAfter++;
      }
    }),
  );
  return { statuses, retryAfter };
}

/**
 * Runs `attack` while an honest client (bob, read token) asks for a small repo's model info every
 * `everyMs`; reports the slowest honest answer. `probeRepo` must exist and be readable by bob.
 */
export async function whileProbing<T>(
  t: Target,
  probeRepo: string,
  attack: () => Promise<T>,
  everyMs = 100,
): Promise<{ value: T; probeMaxMs: number; probes: number; probeFailures: number }> {
  let running = true;
  let probeMaxMs = 0;
  let probes = 0;
  let probeFailures = 0;
  const prober = (async () => {
    while (running) {
      const t0 = performance.now();
      const r = await send(t, 'GET', `/api/models/${probeRepo}`, { token: t.tokens.bob }).catch(() => null);
      probeMaxMs = Math.max(probeMaxMs, performance.now() - t0);
      probes++;
      if (r?.status !== 200) probeFailures++;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  let value: T;
  try {
    value = await attack();
  } finally {
    running = false;
    await prober; // the probe in flight when the attack ends counts too
  }
  return { value, probeMaxMs, probes, probeFailures };
}
