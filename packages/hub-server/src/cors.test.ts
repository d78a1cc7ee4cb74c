import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, createRepo, send } from './test-utils/attacks.js';
import { startTestHub, TOKENS, type TestHub } from './test-utils/server.js';

describe('CORS for pages on other origins (transformers.js in a browser)', () => {
  let hub: TestHub;
  let t: { url: string; tokens: typeof TOKENS };
  beforeAll(async () => {
    hub = await startTestHub();
    t = { url: hub.url, tokens: TOKENS };
    await createRepo(t, 'alice/pub', TOKENS.alice);
    await createRepo(t, 'alice/priv', TOKENS.alice, true);
    await commitFiles(t, 'alice/pub', TOKENS.alice, [['config.json', '{"model_type":"clip"}']]);
  });
  afterAll(() => hub.cleanup());
  const origin = { Origin: 'http://127.0.0.1:9999' };

  it('file reads carry Access-Control-Allow-Origin and expose the headers the clients read', async () => {
    for (const method of ['GET', 'HEAD']) {
      const r = await send(t, method, '/alice/pub/resolve/main/config.json', { headers: origin });
      expect(r.status).toBe(200);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect(r.headers.get('access-control-expose-headers')).toMatch(/Content-Length.*ETag.*X-Repo-Commit/);
    }
    const info = await send(t, 'GET', '/api/models/alice/pub', { headers: origin });
    expect(info.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('refusals are readable too, and private repos stay private', async () => {
    const missing = await send(t, 'GET', '/alice/pub/resolve/main/nope.json', { headers: origin });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe('*');
    const priv = await send(t, 'GET', '/alice/priv/resolve/main/config.json', { headers: origin });
    expect([401, 404]).toContain(priv.status);
  });

  it('answers preflights for read routes only', async () => {
    const pre = await send(t, 'OPTIONS', '/alice/pub/resolve/main/onnx/model.onnx', {
      headers: { ...origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/Range/);
    const write = await send(t, 'OPTIONS', '/api/models/alice/pub/commit/main', { headers: origin });
    expect(write.status).toBe(404);
    expect(write.headers.get('access-control-allow-origin')).toBeNull();
    const commit = await send(t, 'POST', '/api/repos/create', { token: TOKENS.alice, body: '{}', headers: origin });
    expect(commit.headers.get('access-control-allow-origin')).toBeNull();
  });
});
