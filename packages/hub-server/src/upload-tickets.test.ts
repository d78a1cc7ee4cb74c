import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, fakeOid, lfsBatch, send, whileProbing, type Target } from './test-utils/attacks.js';
import { TOKENS, bytes, startTestHub, type TestHub } from './test-utils/server.js';
import { UploadTickets, type UploadTicket } from './upload-tickets.js';

describe('UploadTickets', () => {
  const book = (over: Partial<ConstructorParameters<typeof UploadTickets>[0]> = {}) => {
    let now = 0;
    const removed: string[] = [];
    const tickets = new UploadTickets({
      ttlMs: 1000,
      perUser: 3,
      total: 5,
      onRemove: (t) => removed.push(t.oid),
      now: () => now,
      ...over,
    });
    return { tickets, removed, advance: (ms: number) => (now += ms) };
  };
  const ticket = (user: string, oid: string): Omit<UploadTicket, 'id' | 'expires'> => ({
    repo: `${user}/r`,
    user,
    oid,
    size: 1,
  });

  it("holds each user to a quota, so one user cannot take the others' share", () => {
    const { tickets } = book();
    for (let i = 0; i < 3; i++) tickets.issue(ticket('carol', `c${i}`));
    expect(() => tickets.issue(ticket('carol', 'c3'))).toThrow(/pending, the most one user may hold/);
    tickets.issue(ticket('alice', 'a0'));
    tickets.issue(ticket('alice', 'a1'));
    expect(() => tickets.issue(ticket('bob', 'b0'))).toThrow(/too many uploads pending/);
    tickets.close();
  });

  it('expires from the front in issue order and calls onRemove once per ticket', () => {
    const { tickets, removed, advance } = book({ perUser: 100, total: 100 });
    const early = tickets.issue(ticket('alice', 'early'));
    advance(600);
    const late = tickets.issue(ticket('alice', 'late'));
    advance(500); // early is 1100 ms old, late 500 ms
    expect(() => tickets.get(early.id)).toThrow(/Unknown or expired upload URL/);
    expect(tickets.get(late.id).oid).toBe('late');
    expect(removed).toEqual(['early']);
    tickets.remove(late.id);
    tickets.remove(late.id);
    expect(removed).toEqual(['early', 'late']);
    expect(tickets.size).toBe(0);
    // the quota frees as tickets go
    for (let i = 0; i < 100; i++) tickets.issue(ticket('alice', `x${i}`));
    advance(2000);
    tickets.expire();
    expect(tickets.size).toBe(0);
    tickets.close();
  });

  it('drops every ticket of a deleted repo', () => {
    const { tickets, removed } = book({ perUser: 10, total: 10 });
    const a = tickets.issue(ticket('alice', 'a'));
    tickets.issue({ ...ticket('alice', 'b'), repo: 'alice/other' });
    tickets.removeRepo('alice/r');
    expect(removed).toEqual(['a']);
    expect(tickets.has(a.id)).toBe(false);
    expect(tickets.size).toBe(1);
    tickets.close();
  });
});

const MiB = 1024 * 1024;

describe('H3 and H9 over HTTP: ticket quotas, and multipart parts that do not outlive their tickets or repos', () => {
  let hub: TestHub;
  let t: Target;
  const uploads = (): string[] => {
    const dir = path.join(hub.dataDir, 'uploads');
    return existsSync(dir) ? readdirSync(dir) : [];
  };
  beforeAll(async () => {
    hub = await startTestHub({ limits: { ticketsPerUser: 50, tickets: 120, ticketTtlMs: 1500 } });
    t = { url: hub.url, tokens: TOKENS };
    await createRepo(t, 'acme/probe', TOKENS.alice);
    await createRepo(t, 'carol/h3', TOKENS.carol);
    await createRepo(t, 'alice/h3', TOKENS.alice);
  });
  afterAll(async () => hub.cleanup());

  it("H3: carol's batches stop at her quota (429 + Retry-After); alice still gets upload URLs", async () => {
    const r = await whileProbing(t, 'acme/probe', async () => {
      const statuses: number[] = [];
      for (let b = 0; b < 8; b++) {
        const objects = Array.from({ length: 10 }, (_, i) => ({ oid: fakeOid(b * 10 + i), size: 100 }));
        const res = await lfsBatch(t, 'carol/h3', objects, TOKENS.carol);
        statuses.push(res.status);
        if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      return statuses;
    });
    expect(r.value).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    const mine = await lfsBatch(t, 'alice/h3', [{ oid: fakeOid(1000), size: 100 }], TOKENS.alice);
    expect(mine.status).toBe(200);
    expect(JSON.parse(mine.text).objects[0].actions.upload.href).toMatch(/\/_lfs\/upload\//);
    // a refused batch leaves none of its tickets behind: after expiry carol has her full quota again
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const again = await lfsBatch(
      t,
      'carol/h3',
      Array.from({ length: 50 }, (_, i) => ({ oid: fakeOid(5000 + i), size: 100 })),
      TOKENS.carol,
    );
    expect(again.status).toBe(200);
  });

  async function startMultipart(repo: string, data: Buffer): Promise<{ parts: string[]; href: string }> {
    const { createHash } = await import('node:crypto');
    const oid = createHash('sha256').update(data).digest('hex');
    const res = await lfsBatch(t, repo, [{ oid, size: data.length }], TOKENS.alice);
    const obj = JSON.parse(res.text).objects[0] as {
      actions: { upload: { href: string; header: Record<string, string> } };
    };
    const { chunk_size: _chunk, ...urls } = obj.actions.upload.header;
    return {
      parts: Object.keys(urls)
        .sort()
        .map((k) => urls[k] as string),
      href: obj.actions.upload.href,
    };
  }

  it('H9: a part uploaded after its repo was deleted is refused and recreates nothing; the name is reusable', async () => {
    await createRepo(t, 'alice/h9', TOKENS.alice);
    const data = bytes(11 * MiB, 9);
    const { parts } = await startMultipart('alice/h9', data);
    expect(parts).toHaveLength(3);
    const first = await fetch(parts[0] as string, { method: 'PUT', body: data.subarray(0, 5 * MiB) });
    expect(first.status).toBe(200);
    expect(uploads()).toHaveLength(1);
    const del = await send(t, 'DELETE', '/api/repos/delete', {
      token: TOKENS.alice,
      body: JSON.stringify({ name: 'h9', organization: 'alice', type: 'model' }),
    });
    expect(del.status).toBe(200);
    const late = await fetch(parts[1] as string, { method: 'PUT', body: data.subarray(5 * MiB, 10 * MiB) });
    expect(late.status).toBe(404);
    expect(existsSync(path.join(hub.dataDir, 'repos/alice/h9'))).toBe(false);
    expect(uploads()).toEqual([]);
    await createRepo(t, 'alice/h9', TOKENS.alice);
    expect((await send(t, 'GET', '/api/models/alice/h9')).status).toBe(200);
  });

  it('part folders go when their ticket expires, and when the upload completes', async () => {
    await createRepo(t, 'alice/parts', TOKENS.alice);
    const data = bytes(11 * MiB, 10);
    const abandoned = await startMultipart('alice/parts', data);
    await fetch(abandoned.parts[0] as string, { method: 'PUT', body: data.subarray(0, 5 * MiB) });
    expect(uploads()).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // TTL 1.5 s, swept at least every second
    expect(uploads()).toEqual([]);

    const done = await startMultipart('alice/parts', data);
    const etags = [];
    for (const [i, url] of done.parts.entries()) {
      const r = await fetch(url, { method: 'PUT', body: data.subarray(i * 5 * MiB, (i + 1) * 5 * MiB) });
      etags.push({ partNumber: i + 1, etag: r.headers.get('etag') });
    }
    expect(uploads()).toHaveLength(1);
    const { createHash } = await import('node:crypto');
    const complete = await fetch(done.href, {
      method: 'POST',
      body: JSON.stringify({ oid: createHash('sha256').update(data).digest('hex'), parts: etags }),
    });
    expect(complete.status).toBe(200);
    expect(uploads()).toEqual([]);
  });

  it('repo folders without repo.json (debris of older versions) are cleared at start', async () => {
    mkdirSync(path.join(hub.dataDir, 'repos/alice/debris/tmp/mp-x'), { recursive: true });
    await hub.close();
    const { createHubServer } = await import('./server.js');
    const again = await createHubServer({ dataDir: hub.dataDir, tokensFile: hub.tokensFile });
    try {
      expect(existsSync(path.join(hub.dataDir, 'repos/alice/debris'))).toBe(false);
      const r = await send({ ...t, url: again.url }, 'POST', '/api/repos/create', {
        token: TOKENS.alice,
        body: JSON.stringify({ name: 'debris' }),
      });
      expect(r.status).toBe(200);
    } finally {
      await again.close();
    }
  });
});
