import { createRepo, downloadFile, listFiles, modelInfo, uploadFiles } from '@huggingface/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS, startTestHub, type TestHub } from './test-utils/server.js';

describe('hub server security', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
    await createRepo({ repo: 'acme/private', private: true, accessToken: TOKENS.alice, hubUrl: hub.url });
    await uploadFiles({
      repo: 'acme/private',
      files: [{ path: 'secret.txt', content: new Blob(['s']) }],
      accessToken: TOKENS.alice,
      hubUrl: hub.url,
    });
  });
  afterAll(async () => hub.cleanup());

  const commitBody = (p: string): string =>
    [
      { key: 'header', value: { summary: 'x' } },
      { key: 'file', value: { path: p, content: Buffer.from('x').toString('base64'), encoding: 'base64' } },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n');
  const post = (url: string, body: string, token?: string): Promise<Response> =>
    fetch(url, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/x-ndjson', ...(token && { Authorization: `Bearer ${token}` }) },
    });

  it('refuses writes without a token, with a read-only token, and outside the namespace', async () => {
    const url = `${hub.url}/api/models/acme/private/commit/main`;
    expect((await post(`${hub.url}/api/models/carol/none/commit/main`, commitBody('a'))).status).toBe(404);
    await createRepo({ repo: 'carol/pub', accessToken: TOKENS.carol, hubUrl: hub.url });
    const anon = await post(`${hub.url}/api/models/carol/pub/commit/main`, commitBody('a'));
    expect(anon.status).toBe(401);
    expect((await post(url, commitBody('a'), TOKENS.bob)).status).toBe(403); // bob: acme member, read-only
    expect((await post(`${hub.url}/api/models/carol/pub/commit/main`, commitBody('a'), TOKENS.alice)).status).toBe(403);
    await expect(createRepo({ repo: 'acme/by-bob', accessToken: TOKENS.bob, hubUrl: hub.url })).rejects.toThrow(
      /read-only/,
    );
    expect((await post(url, commitBody('a'), 'hf_not_a_token')).status).toBe(401);
  });

  it('hides a private repo from anyone outside its namespace', async () => {
    for (const token of [undefined, TOKENS.carol]) {
      await expect(
        modelInfo({ name: 'acme/private', hubUrl: hub.url, ...(token && { accessToken: token }) }),
      ).rejects.toThrow(/not found/);
      const r = await fetch(`${hub.url}/acme/private/resolve/main/secret.txt`, {
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      });
      expect(r.status).toBe(404);
      expect(r.headers.get('x-error-code')).toBe('RepoNotFound');
    }
    // bob is in acme: read access to its private repos
    const blob = await downloadFile({
      repo: 'acme/private',
      path: 'secret.txt',
      accessToken: TOKENS.bob,
      hubUrl: hub.url,
    });
    expect(await blob!.text()).toBe('s');
    const all = [];
    for await (const f of listFiles({ repo: 'acme/private', accessToken: TOKENS.bob, hubUrl: hub.url }))
      all.push(f.path);
    expect(all).toContain('secret.txt');
  });

  it('refuses path traversal, absolute paths and backslashes', async () => {
    for (const bad of ['../evil.txt', 'a/../../evil', '/etc/passwd', 'a\\b.txt', 'a//b', '.git/config']) {
      const r = await post(`${hub.url}/api/models/acme/private/commit/main`, commitBody(bad), TOKENS.alice);
      expect(r.status, bad).toBe(400);
      expect(((await r.json()) as { error: string }).error).toMatch(/Invalid path/);
    }
    const r = await fetch(`${hub.url}/acme/private/resolve/main/..%2F..%2Frepo.json`, {
      headers: { Authorization: `Bearer ${TOKENS.alice}` },
    });
    expect(r.status).toBe(400);
  });

  it('refuses an LFS upload whose content does not match its oid, and a commit naming a missing object', async () => {
    const auth = { Authorization: `Bearer ${TOKENS.alice}`, 'Content-Type': 'application/vnd.git-lfs+json' };
    const oid = 'a'.repeat(64);
    const batch = await fetch(`${hub.url}/acme/private.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ operation: 'upload', transfers: ['basic'], objects: [{ oid, size: 4 }] }),
    });
    const { objects } = (await batch.json()) as { objects: Array<{ actions: { upload: { href: string } } }> };
    const put = await fetch(objects[0]!.actions.upload.href, { method: 'PUT', body: 'abcd' });
    expect(put.status).toBe(400);
    expect(((await put.json()) as { error: string }).error).toMatch(/not the announced oid/);
    const body = [
      { key: 'header', value: { summary: 'x' } },
      { key: 'lfsFile', value: { path: 'w.bin', algo: 'sha256', oid, size: 4 } },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n');
    expect((await post(`${hub.url}/api/models/acme/private/commit/main`, body, TOKENS.alice)).status).toBe(422);
  });

  it('refuses oversized request bodies', async () => {
    const huge = JSON.stringify({ files: [{ path: 'a', size: 1, sample: 'x'.repeat(9 * 1024 * 1024) }] });
    const r = await fetch(`${hub.url}/api/models/acme/private/preupload/main`, {
      method: 'POST',
      body: huge,
      headers: { Authorization: `Bearer ${TOKENS.alice}`, 'Content-Type': 'application/json' },
    });
    expect(r.status).toBe(413);
  });

  it('never writes a token into the log', () => {
    const log = hub.logLines.join('\n');
    expect(log.length).toBeGreaterThan(0);
    for (const t of Object.values(TOKENS)) expect(log).not.toContain(t);
    expect(log).not.toContain('hf_not_a_token');
  });
});
