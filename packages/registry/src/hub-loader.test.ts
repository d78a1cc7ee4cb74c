import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { refusalOf, tempDir, writeOversizeJson } from '#test-support';
import { MAX_CONFIG_FILE_BYTES } from '@cliphub/core';
import { afterAll, describe, expect, it } from 'vitest';
import { RegistryError } from './errors.js';
import { hfHubCacheDir, makeDefaultHubConfigLoader } from './hub-loader.js';

describe('default hf-hub config loader', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);
  const commit = 'a'.repeat(40);
  const repoDir = path.join(tmp.dir, 'hub', 'models--org--name');
  mkdirSync(path.join(repoDir, 'refs'), { recursive: true });
  mkdirSync(path.join(repoDir, 'snapshots', commit), { recursive: true });
  writeFileSync(path.join(repoDir, 'refs', 'main'), `${commit}\n`);
  writeFileSync(path.join(repoDir, 'snapshots', commit, 'open_clip_config.json'), JSON.stringify({ from: 'cache' }));

  it('locates the cache like huggingface_hub', () => {
    expect(hfHubCacheDir({ HF_HUB_CACHE: '/x' })).toBe('/x');
    expect(hfHubCacheDir({ HF_HOME: '/h' })).toBe('/h/hub');
  });

  it('reads the cached snapshot through refs/main without fetching', async () => {
    const fetchNever = (async () => {
      throw new Error('no network in this test');
    }) as typeof fetch;
    const load = makeDefaultHubConfigLoader({ HF_HOME: tmp.dir }, fetchNever);
    expect(await load('org/name')).toEqual({ from: 'cache' });
    expect(await load('org/name', commit)).toEqual({ from: 'cache' });
  });

  it('fetches from HF_ENDPOINT when not cached; 404 is bad input, network failure exit 1', async () => {
    const seen: string[] = [];
    const ok = (async (url: string) => (
      seen.push(url),
      new Response(JSON.stringify({ from: 'net' }), { status: 200 })
    )) as unknown as typeof fetch;
    expect(
      await makeDefaultHubConfigLoader({ HF_HOME: tmp.dir, HF_ENDPOINT: 'http://mirror/' }, ok)('org/other', 'v2'),
    ).toEqual({ from: 'net' });
    expect(seen).toEqual(['http://mirror/org/other/resolve/v2/open_clip_config.json']);
    const missing = (async () => new Response('nope', { status: 404 })) as unknown as typeof fetch;
    await expect(makeDefaultHubConfigLoader({ HF_HOME: tmp.dir }, missing)('org/other')).rejects.toMatchObject({
      code: 'NO_CONFIG',
      exitCode: 2,
    });
    const down = (async () => {
      throw new TypeError('fetch failed');
    }) as unknown as typeof fetch;
    const e: unknown = await makeDefaultHubConfigLoader(
      { HF_HOME: tmp.dir },
      down,
    )('org/other').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RegistryError);
    expect(e).toMatchObject({ code: 'HUB_UNREACHABLE', exitCode: 1 });
  });

  it('refuses an oversized cached config, and an endpoint that sends without end, with one exit-2 line', async () => {
    const hugeDir = path.join(tmp.dir, 'hub', 'models--org--huge', 'snapshots', commit);
    mkdirSync(hugeDir, { recursive: true });
    writeOversizeJson(path.join(hugeDir, 'open_clip_config.json'), MAX_CONFIG_FILE_BYTES);
    const fetchNever = (async () => {
      throw new Error('no network in this test');
    }) as typeof fetch;
    expect(
      await refusalOf(() => makeDefaultHubConfigLoader({ HF_HOME: tmp.dir }, fetchNever)('org/huge', commit)),
    ).toMatchObject({
      code: 'BAD_CONFIG',
      exitCode: 2,
      message: expect.stringMatching(
        /open_clip_config\.json is not valid JSON \(cached config .* is over 8 MiB.*; delete it/,
      ),
    });
    let sent = 0;
    const endless = (async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            sent += 1 << 20;
            controller.enqueue(new Uint8Array(1 << 20).fill(0x20));
          },
        }),
        { status: 200 },
      )) as unknown as typeof fetch;
    expect(
      await refusalOf(() => makeDefaultHubConfigLoader({ HF_HOME: tmp.dir }, endless)('org/endless')),
    ).toMatchObject({
      code: 'BAD_CONFIG',
      exitCode: 2,
      message: expect.stringMatching(/open_clip_config\.json sends more than 8 MiB/),
    });
    expect(sent).toBeLessThan(16 << 20);
  });
});
