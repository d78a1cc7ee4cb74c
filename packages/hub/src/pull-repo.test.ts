import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { tempDir } from '#test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClientError } from './errors.js';
import { pullRepo } from './pull-repo.js';

const COMMIT = 'c'.repeat(40);

/** A Hub that lists one file with whatever oid the test sets, and records every request. */
describe('pullRepo against a hostile server', () => {
  let server: Server;
  let url = '';
  let listed: Record<string, unknown> = {};
  const requests: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      const json = (v: unknown): void => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      if (/^\/api\/models\/acme\/x\/revision\//.test(req.url ?? '')) return json({ id: 'acme/x', sha: COMMIT });
      if (/^\/api\/models\/acme\/x\/tree\//.test(req.url ?? '')) return json([listed]);
      res.writeHead(200, { 'Content-Length': '1' }).end('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('refuses an oid that is not 40/64 lowercase hex before using it as a file name', async () => {
    const hostile = [
      { type: 'file', path: 'a.txt', size: 1, oid: '../../../../escape' },
      { type: 'file', path: 'a.txt', size: 1, oid: `${'a'.repeat(39)}/` },
      { type: 'file', path: 'a.txt', size: 1, oid: 'A'.repeat(40) },
      { type: 'file', path: 'a.bin', size: 1, oid: 'a'.repeat(40), lfs: { oid: `../${'b'.repeat(61)}`, size: 1 } },
      { type: 'file', path: 'a.bin', size: 1, oid: 'a'.repeat(40), lfs: { oid: 'b'.repeat(40), size: 1 } },
    ];
    for (const entry of hostile) {
      listed = entry;
      requests.length = 0;
      const { dir, cleanup } = tempDir('cliphub-pull-');
      try {
        const pull = pullRepo({ repo: 'acme/x', hubUrl: url, cacheDir: dir });
        await expect(pull, JSON.stringify(entry)).rejects.toBeInstanceOf(HubClientError);
        await expect(pull).rejects.toThrow(/oid that is not (40|64) lowercase hex/);
        expect(requests.some((r) => r.includes('/resolve/'))).toBe(false); // nothing was downloaded
        const blobs = path.join(dir, 'models--acme--x/blobs');
        expect(existsSync(blobs) ? readdirSync(blobs) : []).toEqual([]);
        expect(existsSync(path.join(dir, '..', 'escape'))).toBe(false);
      } finally {
        cleanup();
      }
    }
  });

  it('accepts a well-formed listing from the same server', async () => {
    listed = { type: 'file', path: 'a.txt', size: 1, oid: 'c1b0730e0133447badcfd47fd144e254807b06e1' }; // git blob of "x"
    const { dir, cleanup } = tempDir('cliphub-pull-');
    try {
      const r = await pullRepo({ repo: 'acme/x', hubUrl: url, cacheDir: dir });
      expect(readFileSync(path.join(r.snapshotDir, 'a.txt'), 'utf8')).toBe('x');
    } finally {
      cleanup();
    }
  });
});
