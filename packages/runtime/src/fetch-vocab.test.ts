import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pushFolder } from '@cliphub/hub';
import { CLIP_MERGE_COUNT, SimpleTokenizer } from '@cliphub/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleVocabPath, sharedUpstream, tempDir } from '#test-support';
// the server is this test's fixture; the fetcher under test only talks HTTP to it
import { startTestHub, TOKENS, type TestHub } from '#test-support/hub.js';
import { fetchBpeVocab, isOffline, VocabFetchError, type FetchVocabOptions } from './index.js';

const TOKEN = TOKENS.alice;
const sharedGz = sharedUpstream ? path.join(sharedUpstream, 'bpe_simple_vocab_16e6.txt.gz') : null;
const gzPath = sharedGz && existsSync(sharedGz) ? sharedGz : oracleVocabPath;

/** Counts the requests a fetcher makes (all of pullRepo's go through the one `fetch` it is given). */
function countingFetch(): { fetch: typeof fetch; calls: () => number } {
  let n = 0;
  return {
    fetch: (input, init) => {
      n++;
      return fetch(input, init);
    },
    calls: () => n,
  };
}

describe.skipIf(!gzPath)('fetchBpeVocab against the project Hub server', () => {
  const tmp = tempDir('cliphub-vocab-');
  let hub: TestHub;
  let merges: Buffer;
  const env = (cache: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    HF_ENDPOINT: hub.url,
    HF_HUB_CACHE: cache,
    HF_TOKEN: TOKEN,
    CLIPHUB_VOCAB_REPO: 'acme/clip-bpe',
    ...extra,
  });

  beforeAll(async () => {
    hub = await startTestHub();
    // An HF CLIP repo's shape: merges.txt beside weights the fetcher must not download.
    const text = gunzipSync(readFileSync(gzPath!)).toString('utf8').split('\n');
    merges = Buffer.from(`#version: 0.2\n${text.slice(1, CLIP_MERGE_COUNT + 1).join('\n')}\n`);
    const repo = path.join(tmp.dir, 'repo');
    mkdirSync(repo);
    writeFileSync(path.join(repo, 'merges.txt'), merges);
    writeFileSync(path.join(repo, 'pytorch_model.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
    await pushFolder({ repo: 'acme/clip-bpe', folder: repo, hubUrl: hub.url, token: TOKEN });
    const noMerges = path.join(tmp.dir, 'no-merges');
    mkdirSync(noMerges);
    writeFileSync(path.join(noMerges, 'vocab.json'), '{}');
    await pushFolder({ repo: 'acme/not-clip', folder: noMerges, hubUrl: hub.url, token: TOKEN });
  });
  afterAll(async () => {
    await hub.cleanup();
    tmp.cleanup();
  });

  it('downloads only merges.txt into the huggingface_hub layout, then serves it from the cache without a single request', async () => {
    const cache = path.join(tmp.dir, 'cache');
    const logs: string[] = [];
    const net = countingFetch();
    const opts: FetchVocabOptions = { env: env(cache), log: (l) => logs.push(l), fetch: net.fetch };
    const first = await fetchBpeVocab(opts);
    expect(first.fromCache).toBe(false);
    expect(Buffer.from(first.bytes).equals(merges)).toBe(true);
    const storage = path.join(cache, 'models--acme--clip-bpe');
    expect(first.path).toBe(path.join(storage, 'snapshots', first.commit, 'merges.txt'));
    expect(readFileSync(path.join(storage, 'refs/main'), 'utf8')).toBe(first.commit);
    expect(lstatSync(first.path).isSymbolicLink()).toBe(true);
    expect(readdirSync(path.dirname(first.path))).toEqual(['merges.txt']); // the weights stayed on the server
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain(`acme/clip-bpe at ${hub.url}`);
    expect(net.calls()).toBeGreaterThan(0);

    // the bytes make the CLIP tokenizer
    const tok = await SimpleTokenizer.load({ fetchVocab: async () => first.bytes });
    expect(tok.encode('a photo of a cat')).toEqual([320, 1125, 539, 320, 2368]);

    const calls = net.calls();
    const again = await fetchBpeVocab(opts);
    expect(again).toMatchObject({ fromCache: true, commit: first.commit, path: first.path });
    expect(Buffer.from(again.bytes).equals(merges)).toBe(true);
    expect(net.calls()).toBe(calls); // a cache hit makes no request at all
    expect(logs).toHaveLength(1);
  });

  it('uses $HF_HOME/hub when HF_HUB_CACHE is unset, and the explicit options over the env', async () => {
    const home = path.join(tmp.dir, 'hf-home');
    const { HF_HUB_CACHE: _unused, ...noCache } = env('');
    const r = await fetchBpeVocab({ env: { ...noCache, HF_HOME: home } });
    expect(r.path.startsWith(path.join(home, 'hub', 'models--acme--clip-bpe', 'snapshots'))).toBe(true);
    const explicit = path.join(tmp.dir, 'explicit');
    const e = await fetchBpeVocab({
      env: { CLIPHUB_VOCAB_REPO: 'nobody/else', HF_ENDPOINT: 'http://127.0.0.1:9' },
      repo: 'acme/clip-bpe',
      hubUrl: hub.url,
      cacheDir: explicit,
    });
    expect(e.path.startsWith(explicit)).toBe(true);
  });

  it('offline (HF_HUB_OFFLINE=1 or CLIPHUB_OFFLINE=yes) never touches the network and says what to do', async () => {
    for (const flag of [{ HF_HUB_OFFLINE: '1' }, { CLIPHUB_OFFLINE: 'yes' }] as Array<Record<string, string>>) {
      const cache = path.join(tmp.dir, `offline-${Object.keys(flag)[0]}`);
      const net = countingFetch();
      const e = await fetchBpeVocab({ env: env(cache, flag), fetch: net.fetch }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(VocabFetchError);
      expect(e).toMatchObject({
        code: 'VOCAB_NOT_FOUND',
        exitCode: 2,
        offline: true,
        repo: 'acme/clip-bpe',
        cacheDir: cache,
      });
      expect((e as Error).message).toContain(`acme/clip-bpe's merges.txt is not in the Hub cache ${cache}`);
      expect((e as Error).message).toContain('--vocab FILE');
      expect(net.calls()).toBe(0);
      expect(existsSync(cache)).toBe(false);
    }
    expect([isOffline({ HF_HUB_OFFLINE: 'TRUE' }), isOffline({ HF_HUB_OFFLINE: '0' }), isOffline({})]).toEqual([
      true,
      false,
      false,
    ]);
  });

  it('offline still reads what an earlier online run cached', async () => {
    const cache = path.join(tmp.dir, 'warm');
    await fetchBpeVocab({ env: env(cache) });
    const net = countingFetch();
    const r = await fetchBpeVocab({ env: env(cache, { CLIPHUB_OFFLINE: '1' }), fetch: net.fetch });
    expect([r.fromCache, net.calls()]).toEqual([true, 0]);
  });

  it('a repo without merges.txt, a bad repo id and an unreachable Hub are VOCAB_NOT_FOUND naming the repo and the way out', async () => {
    const cache = path.join(tmp.dir, 'errors');
    await expect(fetchBpeVocab({ env: env(cache, { CLIPHUB_VOCAB_REPO: 'acme/not-clip' }) })).rejects.toMatchObject({
      code: 'VOCAB_NOT_FOUND',
      exitCode: 2,
      message: expect.stringMatching(/acme\/not-clip@[0-9a-f]{12} has no merges\.txt; point CLIPHUB_VOCAB_REPO/),
    });
    await expect(fetchBpeVocab({ env: env(cache, { CLIPHUB_VOCAB_REPO: 'not a repo' }) })).rejects.toMatchObject({
      code: 'VOCAB_NOT_FOUND',
      message: expect.stringContaining('CLIPHUB_VOCAB_REPO "not a repo"'),
    });
    await expect(fetchBpeVocab({ env: env(cache, { CLIPHUB_VOCAB_REPO: 'acme/missing' }) })).rejects.toMatchObject({
      code: 'VOCAB_NOT_FOUND',
      message: expect.stringContaining('from acme/missing at'),
    });
    // a port nothing listens on: refused at once
    const e = await fetchBpeVocab({ env: env(cache, { HF_ENDPOINT: 'http://127.0.0.1:9' }) }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'VOCAB_NOT_FOUND', exitCode: 2, offline: false });
    expect((e as Error).message).toMatch(
      new RegExp(
        `fetching merges.txt from acme/clip-bpe at http://127.0.0.1:9 into the Hub cache ${cache} failed: .*; pass --vocab FILE`,
      ),
    );
  });
});
