import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { gitBlobOid, lfsPointer } from './git-oid.js';
import { parseRange } from './http-util.js';
import { checkRepoPath } from './repo-path.js';
import { parseTokens } from './tokens.js';
import { TreeIndex } from './tree-index.js';
import { makeCommit } from './store.js';

describe('hub-server helpers', () => {
  it('gitBlobOid matches git hash-object', () => {
    const data = Buffer.from('hello\nworld\x00bin');
    const want = execFileSync('git', ['hash-object', '--stdin'], { input: data }).toString().trim();
    expect(gitBlobOid(data)).toBe(want);
    expect(lfsPointer('a'.repeat(64), 5)).toBe(
      `version https://git-lfs.github.com/spec/v1\noid sha256:${'a'.repeat(64)}\nsize 5\n`,
    );
  });

  it('parses tokens files and names the bad line without the token', () => {
    const a = 'hf_a_0123456789abcdef';
    const b = 'hf_b_0123456789abcdef';
    const m = parseTokens(`# c\n${a} alice write acme,labs\n\n${b} bob read # trailing comment\n`);
    expect(m.get(a)).toEqual({ user: 'alice', role: 'write', orgs: ['acme', 'labs'] });
    expect(m.get(b)).toEqual({ user: 'bob', role: 'read', orgs: [] });
    expect(() => parseTokens('hf_secret_0123456789 alice admin')).toThrow(/line 1: field 3 \(ROLE\) must be/);
    try {
      parseTokens('hf_secret_0123456789 alice admin');
    } catch (e) {
      expect((e as Error).message).not.toContain('hf_secret');
    }
    expect(() => parseTokens('hf_x_0123456789abcdef ../x write')).toThrow(/not a valid name/);
  });

  it('checkRepoPath refuses traversal and accepts ordinary paths', () => {
    expect(checkRepoPath('onnx/model.onnx')).toBe('onnx/model.onnx');
    for (const bad of ['..', '../a', 'a/../b', '/abs', 'C:/x', 'a\\b', 'a//b', '', '.git/HEAD', 'a\0b'])
      expect(() => checkRepoPath(bad), bad).toThrow(/Invalid path/);
  });

  it('parseRange handles the forms clients send', () => {
    expect(parseRange('bytes=0-0', 10)).toEqual({ start: 0, end: 0 });
    expect(parseRange('bytes=5-', 10)).toEqual({ start: 5, end: 9 });
    expect(parseRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange('bytes=2-100', 10)).toEqual({ start: 2, end: 9 });
    expect(parseRange(undefined, 10)).toBeNull();
    expect(() => parseRange('bytes=10-', 10)).toThrow(/outside the file/);
  });

  it('listTree lists children or everything, with folders', () => {
    const c = makeCommit({
      parents: [],
      title: 't',
      description: '',
      author: 'a',
      date: 'd',
      files: new Map([
        ['a.txt', { oid: '1', size: 1 }],
        ['d/b.txt', { oid: '2', size: 2 }],
        ['d/e/c.txt', { oid: '3', size: 3 }],
      ]),
    });
    const index = new TreeIndex(c.files);
    const all = (dir: string, recursive: boolean) => {
      const l = index.list(dir, recursive);
      return l?.slice(0, l.length);
    };
    expect(all('', false)?.map((i) => `${i.type}:${i.path}`)).toEqual(['file:a.txt', 'directory:d']);
    expect(all('d', true)?.map((i) => i.path)).toEqual(['d/b.txt', 'd/e', 'd/e/c.txt']);
    expect(index.list('nope', false)).toBeNull();
    expect(c.id).toMatch(/^[0-9a-f]{40}$/);
  });
});
