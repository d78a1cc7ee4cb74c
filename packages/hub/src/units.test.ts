import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { tempDir } from '#test-support';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { redact, wrapHubError } from './errors.js';
import { hashFile } from './file-hashes.js';
import { listFolder } from './list-folder.js';
import { buildModelCard } from './model-card.js';
import { parseRepoId } from './repo-id.js';
import { defaultCacheDir, discoverToken } from './token.js';

describe('@cliphub/hub helpers', () => {
  it('discovers the token like huggingface_hub: HF_TOKEN, then $HF_HOME/token', () => {
    const { dir, cleanup } = tempDir();
    try {
      expect(discoverToken({ HF_TOKEN: ' hf_env \n', HF_HOME: dir })).toBe('hf_env');
      expect(discoverToken({ HF_HOME: dir })).toBeUndefined();
      writeFileSync(path.join(dir, 'token'), 'hf_file\n');
      expect(discoverToken({ HF_HOME: dir })).toBe('hf_file');
      expect(discoverToken({ HOME: dir, XDG_CACHE_HOME: path.join(dir, 'none') })).toBeUndefined();
      expect(defaultCacheDir({ HF_HOME: dir })).toBe(path.join(dir, 'hub'));
      expect(defaultCacheDir({ HF_HUB_CACHE: '/c' })).toBe('/c');
    } finally {
      cleanup();
    }
  });

  it('never lets the token through an error', () => {
    expect(redact('Bearer hf_abc failed hf_abc', 'hf_abc')).toBe('Bearer hf_*** failed hf_***');
    const e = wrapHubError(Object.assign(new Error('401 for hf_abc'), { statusCode: 401 }), 'pushing', 'hf_abc');
    expect(e.message).not.toContain('hf_abc');
    expect(e.code).toBe('HUB_AUTH');
  });

  it('parses repo ids', () => {
    expect(parseRepoId('hf-hub:org/name')).toBe('org/name');
    for (const bad of ['name', 'a/b/c', '../x', 'org/..']) expect(() => parseRepoId(bad), bad).toThrow(/Invalid repo/);
  });

  it('hashes files as git and LFS do', async () => {
    const { dir, cleanup } = tempDir();
    try {
      mkdirSync(path.join(dir, 'sub/.git'), { recursive: true });
      writeFileSync(path.join(dir, 'sub/x.bin'), 'abc\0def');
      writeFileSync(path.join(dir, 'sub/.git/skip'), '');
      const h = await hashFile(path.join(dir, 'sub/x.bin'));
      expect(h.gitOid).toBe(
        execFileSync('git', ['hash-object', path.join(dir, 'sub/x.bin')])
          .toString()
          .trim(),
      );
      expect(h.sha256).toBe(
        execFileSync('sha256sum', [path.join(dir, 'sub/x.bin')])
          .toString()
          .split(' ')[0],
      );
      expect((await listFolder(dir)).map((f) => f.path)).toEqual(['sub/x.bin']);
      expect((await listFolder(path.join(dir, 'sub'), 'onnx')).map((f) => f.path)).toEqual(['onnx/x.bin']);
    } finally {
      cleanup();
    }
  });

  it('builds a model card with the metadata the Hub reads', () => {
    const card = buildModelCard({
      repo: 'org/m',
      architecture: 'ViT-B-32',
      license: 'mit',
      datasets: ['laion/laion2B-en'],
      baseModel: 'laion/CLIP-ViT-B-32-laion2B-s34B-b79K',
      hasOnnx: true,
      params: { total: 151_277_313 },
      gflops: { total: 7.4 },
      zeroShot: [{ dataset: 'imagenet-1k', value: 0.6556 }],
      validation: { passed: true, summary: 'max |diff| 2e-6' },
    });
    const fm = parse(card.split('---')[1] as string) as Record<string, unknown>;
    expect(fm).toEqual({
      library_name: 'open_clip',
      tags: ['clip', 'zero-shot-image-classification', 'onnx'],
      pipeline_tag: 'zero-shot-image-classification',
      license: 'mit',
      datasets: ['laion/laion2B-en'],
      base_model: 'laion/CLIP-ViT-B-32-laion2B-s34B-b79K',
      // the registry facts as data, for the Hub server's model list filters
      cliphub: { architecture: 'ViT-B-32', params: 151_277_313 },
    });
    expect(card).toContain("create_model_from_pretrained('hf-hub:org/m')");
    expect(card).toContain('npx cliphub pull hf-hub:org/m');
    expect(card).toContain('| Parameters | 151.3 M |');
    expect(card).toContain('| imagenet-1k | top-1 | 0.6556 |');
    expect(card).toContain('cliphub validate: **passed**');
    const plain = buildModelCard({ repo: 'org/m' });
    expect(plain).not.toContain('onnx');
    expect(plain).not.toContain('base_model');
  });
});

describe('findTokenizerFiles', () => {
  it('finds the files save_pretrained writes, top level only, following symlinks', async () => {
    const { findTokenizerFiles } = await import('./tokenizer-files.js');
    const { symlinkSync } = await import('node:fs');
    const { dir, cleanup } = tempDir();
    try {
      for (const f of [
        'tokenizer.json',
        'special_tokens_map.json',
        'vocab.txt',
        'open_clip_config.json',
        'README.md',
        'vocabulary.json',
      ])
        writeFileSync(path.join(dir, f), '{}');
      mkdirSync(path.join(dir, 'sub'));
      writeFileSync(path.join(dir, 'sub/tokenizer_config.json'), '{}');
      writeFileSync(path.join(dir, 'blob'), '{}');
      symlinkSync('blob', path.join(dir, 'spiece.model'));
      mkdirSync(path.join(dir, 'merges.txt')); // a folder by that name is not a tokenizer file
      expect((await findTokenizerFiles(dir)).map((f) => f.path)).toEqual([
        'special_tokens_map.json',
        'spiece.model',
        'tokenizer.json',
        'vocab.txt',
      ]);
      expect(await findTokenizerFiles(path.join(dir, 'missing'))).toEqual([]);
    } finally {
      cleanup();
    }
  });
});
