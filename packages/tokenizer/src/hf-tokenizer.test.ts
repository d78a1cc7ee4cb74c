import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { refusalOf, tempDir, writeOversizeJson } from '#test-support';
import { MAX_CONFIG_FILE_BYTES } from '@cliphub/core';
import { HfTokenizer } from '@cliphub/tokenizer';
import { writeUnigram, writeWordPiece } from './test-utils/hf-fixtures.js';

const ids = (t: HfTokenizer, texts: string | string[], ctx?: number) => {
  const b = t.tokenize(texts, ctx);
  return Array.from({ length: b.count }, (_, i) =>
    Array.from(b.ids.subarray(i * b.contextLength, (i + 1) * b.contextLength), Number),
  );
};

describe('HfTokenizer (open_clip HFTokenizer semantics over tokenizer.json)', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);

  it('adds [CLS]/[SEP], pads with [PAD] to the context, after open_clip whitespace cleaning', async () => {
    const t = await HfTokenizer.fromDir(writeWordPiece(path.join(dir, 'wp')), { contextLength: 10 });
    // ftfy uncurls the quote and folds the ligature-free text; whitespace runs collapse; case is left to the normalizer
    expect(ids(t, '  A \u201cphoto\u201d   of\tcats, playing. ')).toEqual([[2, 4, 1, 5, 1, 6, 7, 9, 13, 3]]);
    expect(ids(t, 'the dog', 6)).toEqual([[2, 10, 8, 3, 0, 0]]);
  });

  it('truncates the content, keeping the special tokens, and counts it', async () => {
    const t = await HfTokenizer.fromDir(writeWordPiece(path.join(dir, 'wp2')), { contextLength: 5 });
    const b = t.tokenize(['a photo of the dog', 'a cat']);
    expect(b.truncated).toBe(1);
    expect(ids(t, ['a photo of the dog', 'a cat'])).toEqual([
      [2, 4, 5, 6, 3],
      [2, 4, 7, 3, 0],
    ]);
  });

  it('honours truncation_side/padding_side left, strip_sep_token and canonicalize', async () => {
    const d = writeWordPiece(path.join(dir, 'wp3'), { truncation_side: 'left', padding_side: 'left' });
    const left = await HfTokenizer.fromDir(d, { contextLength: 5 });
    expect(ids(left, ['a photo of the dog', 'cat'])).toEqual([
      [2, 6, 10, 8, 3],
      [0, 0, 2, 7, 3],
    ]);
    const canon = await HfTokenizer.fromDir(writeWordPiece(path.join(dir, 'wp4')), {
      contextLength: 8,
      clean: 'canonicalize',
      stripSepToken: true,
    });
    // canonicalize drops ASCII punctuation and lowercases; the stripped [SEP] becomes 0
    expect(ids(canon, 'A_PHOTO, of: cats!!')).toEqual([[2, 4, 5, 6, 7, 9, 0, 0]]);
  });

  it('runs a SigLIP-style Unigram + Metaspace tokenizer with an appended EOS', async () => {
    const t = await HfTokenizer.fromDir(writeUnigram(path.join(dir, 'uni')), {
      contextLength: 8,
      clean: 'canonicalize',
    });
    expect(ids(t, 'A photo of cats.')).toEqual([[4, 5, 6, 7, 8, 1, 0, 0]]);
    expect(ids(t, 'a photo of the dog and cat', 4)).toEqual([[4, 5, 6, 1]]);
  });

  it('rejects a missing or broken tokenizer.json and a config without pad token', async () => {
    await expect(HfTokenizer.fromDir(path.join(dir, 'nope'))).rejects.toMatchObject({
      code: 'HF_TOKENIZER_INVALID',
      exitCode: 2,
    });
    const broken = writeWordPiece(path.join(dir, 'broken'));
    writeFileSync(path.join(broken, 'tokenizer.json'), '{ not json');
    await expect(HfTokenizer.fromDir(broken)).rejects.toThrow(/not valid JSON/);
    const nopad = writeWordPiece(path.join(dir, 'nopad'), { pad_token: null });
    await expect(HfTokenizer.fromDir(nopad)).rejects.toThrow(/pad_token/);
  });

  it('refuses an oversized tokenizer_config.json with one exit-2 line', async () => {
    const huge = writeWordPiece(path.join(dir, 'huge'));
    writeOversizeJson(path.join(huge, 'tokenizer_config.json'), MAX_CONFIG_FILE_BYTES);
    expect(await refusalOf(() => HfTokenizer.fromDir(huge))).toMatchObject({
      code: 'HF_TOKENIZER_INVALID',
      exitCode: 2,
      message: expect.stringMatching(/tokenizer_config\.json is over 8 MiB.*; re-download it$/),
    });
  });
});
