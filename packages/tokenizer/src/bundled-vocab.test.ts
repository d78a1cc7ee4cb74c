import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasOracle, needsShared, oracleVocabPath, pythonJson, repoRoot, sharedUpstream, tempDir } from '#test-support';
import {
  BPE_VOCAB_FILE,
  BUNDLED_BPE_VOCAB,
  BUNDLED_BPE_VOCAB_SHA256,
  findBpeVocab,
  HF_MERGES_FILE,
  SimpleTokenizer,
} from '@cliphub/tokenizer';

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
const packageDir = path.join(repoRoot, 'packages/tokenizer');

describe('the CLIP BPE vocab ships with @cliphub/tokenizer', () => {
  const tmp = tempDir('cliphub-bundled-vocab-');
  afterAll(() => tmp.cleanup());

  it('is open_clip 3.3.0 bpe_simple_vocab_16e6.txt.gz byte for byte, with its MIT notice, in the published files', () => {
    expect(BUNDLED_BPE_VOCAB).toBe(path.join(packageDir, 'vocab', BPE_VOCAB_FILE));
    expect(sha256(BUNDLED_BPE_VOCAB)).toBe(BUNDLED_BPE_VOCAB_SHA256);
    const notice = readFileSync(path.join(packageDir, 'vocab/NOTICE.txt'), 'utf8');
    expect(notice).toContain('Copyright (c) 2021 OpenAI');
    expect(notice).toContain('MIT License');
    expect(notice).toContain(BUNDLED_BPE_VOCAB_SHA256);
    const pkg = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('vocab');
  });

  it.runIf(needsShared('bundled vocab vs the upstream copy'))('equals ../shared/upstream/open_clip-v3.3.0', () => {
    expect(sha256(path.join(sharedUpstream!, BPE_VOCAB_FILE))).toBe(BUNDLED_BPE_VOCAB_SHA256);
  });

  it.skipIf(!oracleVocabPath)("equals the oracle venv's installed open_clip 3.3.0 copy", () => {
    expect(sha256(oracleVocabPath!)).toBe(BUNDLED_BPE_VOCAB_SHA256);
  });

  it('lookup order: model dir gz, model dir merges.txt, bundled, then an installed open_clip', () => {
    const withGz = path.join(tmp.dir, 'gz');
    const withMerges = path.join(tmp.dir, 'merges');
    mkdirSync(withGz);
    mkdirSync(withMerges);
    copyFileSync(BUNDLED_BPE_VOCAB, path.join(withGz, BPE_VOCAB_FILE));
    copyFileSync(BUNDLED_BPE_VOCAB, path.join(withGz, HF_MERGES_FILE));
    copyFileSync(BUNDLED_BPE_VOCAB, path.join(withMerges, HF_MERGES_FILE));
    expect(findBpeVocab(withGz)).toBe(path.join(withGz, BPE_VOCAB_FILE));
    expect(findBpeVocab(withMerges)).toBe(path.join(withMerges, HF_MERGES_FILE));
    expect(findBpeVocab(path.join(tmp.dir, 'none'))).toBe(BUNDLED_BPE_VOCAB);
    expect(findBpeVocab()).toBe(BUNDLED_BPE_VOCAB);
    expect(findBpeVocab(undefined, { bundled: false })).not.toBe(BUNDLED_BPE_VOCAB);
  });

  it('SimpleTokenizer.load() with nothing given uses it; bundledVocab: false falls through to the fetcher', async () => {
    const tok = await SimpleTokenizer.load();
    expect(tok.encode('a photo of a cat')).toEqual([320, 1125, 539, 320, 2368]);
    let fetched = 0;
    const viaFetch = await SimpleTokenizer.load({
      bundledVocab: false,
      vocabPath: findBpeVocab(undefined, { bundled: false }) ?? undefined,
      fetchVocab: async () => {
        fetched++;
        return readFileSync(BUNDLED_BPE_VOCAB);
      },
    });
    expect(viaFetch.encode('a photo of a cat')).toEqual([320, 1125, 539, 320, 2368]);
    // With no installed open_clip on the search path the fetcher was the source.
    expect(fetched).toBe(findBpeVocab(undefined, { bundled: false }) ? 0 : 1);
  });

  it.skipIf(!hasOracle)(
    "gives open_clip's ids with no path, no network and no Python involved in loading",
    async () => {
      const texts = ['a photo of a cat', 'Ünïcödé “quotes” &amp; ﬁne', '東京の夜景 🐶', 'a diagram of 3 RED circles!!'];
      const expected = pythonJson<number[][]>(
        `import json, sys, open_clip
print(json.dumps(open_clip.get_tokenizer('ViT-B-32')(json.loads(sys.argv[1])).tolist()))`,
        [JSON.stringify(texts)],
      );
      const ours = (await SimpleTokenizer.load()).tokenize(texts);
      expect(Array.from(ours.ids, Number)).toEqual(expected.flat());
    },
  );
});
