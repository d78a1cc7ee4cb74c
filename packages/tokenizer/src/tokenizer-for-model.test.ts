import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '#test-support';
import { HfTokenizer, SimpleTokenizer, tokenizerForModel } from '@cliphub/tokenizer';
import { writeWordPiece } from './test-utils/hf-fixtures.js';
import { testVocabPath } from './test-utils/vocab.js';

describe('tokenizerForModel', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);

  it('picks HfTokenizer for hf_tokenizer_name with the config context and clean mode', async () => {
    const modelDir = writeWordPiece(path.join(dir, 'siglip-like'));
    const tok = await tokenizerForModel(
      { context_length: 16, hf_tokenizer_name: 'timm/x', tokenizer_kwargs: { clean: 'canonicalize' } },
      { modelDir },
    );
    expect(tok).toBeInstanceOf(HfTokenizer);
    expect([tok.contextLength, tok.clean]).toEqual([16, 'canonicalize']);
  });

  it.skipIf(!testVocabPath)('picks SimpleTokenizer otherwise, with an explicit context override', async () => {
    const tok = await tokenizerForModel(
      { context_length: 32 },
      { modelDir: dir, vocabPath: testVocabPath as string, contextLength: 20 },
    );
    expect(tok).toBeInstanceOf(SimpleTokenizer);
    expect([tok.contextLength, tok.clean]).toEqual([20, 'lower']);
  });

  it('rejects an unknown clean mode', async () => {
    await expect(tokenizerForModel({ tokenizer_kwargs: { clean: 'fancy' } }, { modelDir: dir })).rejects.toMatchObject({
      code: 'BAD_CLEAN_MODE',
      exitCode: 2,
    });
  });
});
