import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { needsShared, repoRoot, sharedFixtures, sharedUpstream } from '#test-support';
import { SimpleTokenizer, TokenizerError } from '@cliphub/tokenizer';
import { testVocabPath } from './test-utils/vocab.js';

interface Cases {
  context_length: number;
  cases: { text: string; ids: number[]; bpe: number[] }[];
}

describe.skipIf(!testVocabPath)('SimpleTokenizer', () => {
  const load = () => SimpleTokenizer.load({ vocabPath: testVocabPath as string });

  it('builds the 49408-token CLIP vocab with SOT 49406 and EOT 49407', async () => {
    const tok = await load();
    expect([tok.vocabSize, tok.sotTokenId, tok.eotTokenId]).toEqual([49408, 49406, 49407]);
  });

  it('pads with zeros and truncates keeping EOT last', async () => {
    const tok = await load();
    const short = tok.tokenize('a cat', 8);
    expect(Array.from(short.ids, Number)).toEqual([49406, 320, 2368, 49407, 0, 0, 0, 0]);
    const long = tok.tokenize(['a cat '.repeat(10), 'a cat'], 6);
    expect(Array.from(long.ids.slice(0, 6), Number)).toEqual([49406, 320, 2368, 320, 2368, 49407]);
    expect([long.count, long.truncated]).toEqual([2, 1]);
  });

  it('maps the literal special-token strings to their ids, as open_clip does', async () => {
    const tok = await load();
    expect(tok.encode('<END_OF_TEXT> x')).toEqual([49407, 343]);
  });

  it('rejects a bad context length and a missing or wrong vocab file with typed errors', async () => {
    const tok = await load();
    expect(() => tok.tokenize('x', 1)).toThrow(TokenizerError);
    await expect(SimpleTokenizer.load({ vocabPath: '/nonexistent/bpe.txt.gz' })).rejects.toMatchObject({
      code: 'VOCAB_NOT_FOUND',
      exitCode: 2,
    });
    await expect(SimpleTokenizer.load({ vocabPath: path.join(repoRoot, 'package.json') })).rejects.toMatchObject({
      code: 'VOCAB_INVALID',
    });
  });

  it('uses an injected fetcher when no local copy is given', async () => {
    const bytes = readFileSync(testVocabPath as string);
    const tok = await SimpleTokenizer.load({
      modelDir: '/nonexistent',
      fetchVocab: async () => bytes,
      contextLength: 5,
    });
    expect(tok.tokenize('').ids.length).toBe(5);
  });

  describe.runIf(needsShared('open_clip SimpleTokenizer cases'))('shared fixture cases', () => {
    it('matches every case in simple_tokenizer_cases.json', async () => {
      const tok = await load();
      const file = path.join(sharedFixtures as string, 'tokenizer/simple_tokenizer_cases.json');
      const data = JSON.parse(readFileSync(file, 'utf8')) as Cases;
      const mismatches = data.cases.filter((c) => {
        const ids = Array.from(tok.tokenize(c.text, data.context_length).ids, Number);
        return (
          JSON.stringify(ids) !== JSON.stringify(c.ids) || JSON.stringify(tok.encode(c.text)) !== JSON.stringify(c.bpe)
        );
      });
      expect(data.cases.length).toBeGreaterThan(10);
      expect(mismatches.map((c) => c.text)).toEqual([]);
    });
  });

  it('finds the vocab in the shared upstream copy when present', () => {
    if (sharedUpstream)
      expect(readFileSync(path.join(sharedUpstream, 'bpe_simple_vocab_16e6.txt.gz')).length).toBeGreaterThan(1e5);
  });
});
