import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '#test-support';
import { readHfTokenizer } from './read-hf-tokenizer.js';

describe('readHfTokenizer', () => {
  const tmp = tempDir('cliphub-read-hftok-');
  afterAll(() => tmp.cleanup());
  const folder = (name: string, files: Record<string, string>): string => {
    const dir = path.join(tmp.dir, name);
    mkdirSync(dir);
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
    return dir;
  };

  it('reads tokenizer.json and the optional config files', () => {
    const dir = folder('ok', {
      'tokenizer.json': '{"model": {"type": "WordPiece"}}',
      'tokenizer_config.json': '{"pad_token": "[PAD]"}',
    });
    const t = readHfTokenizer(dir, 'bert-base-uncased');
    expect(t.tokenizer).toEqual({ model: { type: 'WordPiece' } });
    expect(t.config).toEqual({ pad_token: '[PAD]' });
    expect(t.specialTokensMap).toEqual({});
  });

  it('refuses a folder without tokenizer.json, saying which files to provide and how (exit 2)', () => {
    const dir = folder('none', {});
    expect(() => readHfTokenizer(dir, 'timm/ViT-B-16-SigLIP')).toThrow(
      expect.objectContaining({
        code: 'HF_TOKENIZER_MISSING',
        exitCode: 2,
        message: expect.stringMatching(
          /timm\/ViT-B-16-SigLIP; pass --hf-tokenizer DIR.*tokenizer\.json.*tokenizer_config\.json.*beside the checkpoint/,
        ),
      }),
    );
  });

  it('refuses a file over the cap without reading it whole, and files that are not JSON objects', () => {
    const big = folder('big', { 'tokenizer.json': `{"pad": "${'x'.repeat(5000)}"}` });
    expect(() => readHfTokenizer(big, 'x', 1000)).toThrow(
      expect.objectContaining({ code: 'HF_TOKENIZER_TOO_LARGE', exitCode: 2 }),
    );
    const bigConfig = folder('big-config', {
      'tokenizer.json': '{}',
      'tokenizer_config.json': ' '.repeat(5 * 1024 * 1024),
    });
    expect(() => readHfTokenizer(bigConfig, 'x')).toThrow(expect.objectContaining({ code: 'HF_TOKENIZER_TOO_LARGE' }));
    const bad = folder('bad', { 'tokenizer.json': '{"model": ' });
    expect(() => readHfTokenizer(bad, 'x')).toThrow(expect.objectContaining({ code: 'HF_TOKENIZER_BAD', exitCode: 2 }));
    const list = folder('list', { 'tokenizer.json': '[1, 2]' });
    expect(() => readHfTokenizer(list, 'x')).toThrow(expect.objectContaining({ code: 'HF_TOKENIZER_BAD' }));
  });
});
