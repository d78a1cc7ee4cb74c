import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushFolder } from '@cliphub/hub';
import { findBpeVocab, SimpleTokenizer } from '@cliphub/tokenizer';
import { hasOracle, oracleVocabPath, runPython, tempDir } from '#test-support';
// The Hub is this test's fixture; the CLI under test only talks HTTP to it.
import { startTestHub, TOKENS, type TestHub } from '#test-support/hub.js';
import { runMain, type MainResult } from '../apps/cli/src/test-utils/run-main.js';
import { exportModelDir, tinyModels } from '#test-support/model-export.js';

// Python writes merges.txt from the oracle's gz as HF CLIP repos lay it out ('#version' header, the first 48,894 merges).
const WRITE_MERGES = `
import gzip, sys
from open_clip.tokenizer import default_bpe
lines = gzip.open(default_bpe()).read().decode('utf-8').split('\\n')
open(sys.argv[1], 'w', encoding='utf-8').write('#version: 0.2\\n' + '\\n'.join(lines[1:49152 - 256 - 2 + 1]) + '\\n')
`;
const TEXTS = [
  'a photo of a cat',
  'Ünïcödé “quotes” &amp; ﬁne',
  '東京の夜景 🐶',
  Array.from({ length: 90 }, (_, i) => `w${i}`).join(' '),
];

// CLIPHUB_VOCAB_REPO names the repo, so the runtime fetches instead of using the bundled vocab. Then
// findBpeVocab looks in $VIRTUAL_ENV, $CONDA_PREFIX, $PYTHONPATH, ~/.local and /usr(/local) site-packages; the first
// four are cleared for this file's process (vitest forks one per file). A system-wide open_clip cannot be hidden.
const ISOLATE = ['VIRTUAL_ENV', 'CONDA_PREFIX', 'PYTHONPATH', 'HOME'] as const;
const saved = Object.fromEntries(ISOLATE.map((k) => [k, process.env[k]]));
const tmp = tempDir('cliphub-vocab-e2e-');
for (const k of ISOLATE) delete process.env[k];
process.env.HOME = path.join(tmp.dir, 'home');
const systemOpenClip = findBpeVocab(undefined, { bundled: false });
if (systemOpenClip)
  console.warn(
    `SKIPPED (vocab fetch e2e): an open_clip installed system-wide (${systemOpenClip}) would be used instead of the Hub`,
  );

describe.skipIf(!hasOracle || !oracleVocabPath || systemOpenClip !== null)(
  'cliphub embed without a local vocab: merges.txt fetched once from the Hub',
  () => {
    const model = path.join(tmp.dir, 'bare-model');
    const cache = path.join(tmp.dir, 'hf-cache');
    let hub: TestHub;
    let env: Record<string, string>;
    const cli = (...argv: string[]): Promise<MainResult> => runMain(argv, { env, cwd: tmp.dir });
    const npyRows = (file: string): Float32Array => {
      const b = readFileSync(path.join(tmp.dir, file));
      return new Float32Array(b.buffer.slice(b.byteOffset + 128, b.byteOffset + b.length));
    };

    beforeAll(async () => {
      const repo = path.join(tmp.dir, 'repo');
      mkdirSync(repo);
      runPython(WRITE_MERGES, [path.join(repo, 'merges.txt')]);
      writeFileSync(path.join(repo, 'pytorch_model.bin'), Buffer.alloc(1 << 20, 3)); // weights the fetch must leave alone
      await exportModelDir(tinyModels('tiny-vit-quickgelu'), model, { withVocab: false });
      writeFileSync(path.join(tmp.dir, 'texts.txt'), `${TEXTS.join('\n')}\n`);
      hub = await startTestHub();
      await pushFolder({ repo: 'acme/clip-vit-bpe', folder: repo, hubUrl: hub.url, token: TOKENS.alice });
      hub.logLines.length = 0;
      env = {
        HOME: process.env.HOME!,
        HF_ENDPOINT: hub.url,
        HF_HUB_CACHE: cache,
        CLIPHUB_VOCAB_REPO: 'acme/clip-vit-bpe',
      };
    });
    afterAll(async () => {
      await hub?.cleanup();
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      tmp.cleanup();
    });

    it('embeds exactly as with the gz, fetches once, and the second run works with the server stopped', async () => {
      const gz = await cli(
        'embed',
        '--model',
        model,
        '--texts',
        'texts.txt',
        '--out',
        'gz.npy',
        '--vocab',
        oracleVocabPath!,
      );
      expect(gz.code, gz.err).toBe(0);

      const first = await cli('embed', '--model', model, '--texts', 'texts.txt', '--out', 'hub.npy', '--json');
      expect(first.code, first.err).toBe(0);
      expect(first.err).toContain(
        `fetching CLIP's BPE merges (merges.txt) from acme/clip-vit-bpe at ${hub.url} into ${cache}`,
      );
      expect(JSON.parse(first.out)).toMatchObject({ texts: { embedded: TEXTS.length, truncated: 1 } }); // stdout stays pure JSON
      expect(
        Buffer.compare(readFileSync(path.join(tmp.dir, 'hub.npy')), readFileSync(path.join(tmp.dir, 'gz.npy'))),
      ).toBe(0);
      expect(npyRows('hub.npy').length).toBe(TEXTS.length * 16);
      const downloads = hub.logLines.filter((l) => /\/resolve\//.test(l));
      expect(downloads).toHaveLength(1);
      expect(downloads[0]).toMatch(/GET \/acme\/clip-vit-bpe\/resolve\/[0-9a-f]{40}\/merges\.txt/);

      // the cached file gives the gz's ids on these texts (the tokenizer suite covers thousands)
      const commit = readFileSync(path.join(cache, 'models--acme--clip-vit-bpe/refs/main'), 'utf8');
      const cached = path.join(cache, 'models--acme--clip-vit-bpe/snapshots', commit, 'merges.txt');
      const [a, b] = await Promise.all([
        SimpleTokenizer.load({ vocabPath: cached }),
        SimpleTokenizer.load({ vocabPath: oracleVocabPath! }),
      ]);
      expect(Array.from(a.tokenize(TEXTS).ids)).toEqual(Array.from(b.tokenize(TEXTS).ids));

      await hub.close();
      const second = await cli('embed', '--model', model, '--texts', 'texts.txt', '--out', 'offline.npy');
      expect(second.code, second.err).toBe(0);
      expect(second.err).not.toContain('fetching');
      expect(
        Buffer.compare(readFileSync(path.join(tmp.dir, 'offline.npy')), readFileSync(path.join(tmp.dir, 'gz.npy'))),
      ).toBe(0);

      // a fresh cache with the server gone, and one with HF_HUB_OFFLINE: exit 2 naming the repo, the cache and --vocab
      const fresh = path.join(tmp.dir, 'fresh-cache');
      const down = await runMain(['embed', '--model', model, '--text', 'x', '--out', 'x.npy'], {
        env: { ...env, HF_HUB_CACHE: fresh },
        cwd: tmp.dir,
      });
      expect(down.code).toBe(2);
      expect(down.err).toContain(
        `fetching merges.txt from acme/clip-vit-bpe at ${hub.url} into the Hub cache ${fresh} failed`,
      );
      expect(down.err).toContain('pass --vocab FILE');
      const off = await runMain(['zeroshot', '--model', model, '--image', 'none.png', '--labels', 'a,b'], {
        env: { ...env, HF_HUB_CACHE: fresh, HF_HUB_OFFLINE: '1' },
        cwd: tmp.dir,
      });
      expect(off.code).toBe(2);
      expect(off.err).toContain(
        `acme/clip-vit-bpe's merges.txt is not in the Hub cache ${fresh}, and CLIPHUB_OFFLINE/HF_HUB_OFFLINE forbids fetching it`,
      );
    });
  },
);
