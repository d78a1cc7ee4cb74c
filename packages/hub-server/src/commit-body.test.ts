import { describe, expect, it } from 'vitest';
import { CommitBodyParser, parseCommitBody } from './commit-body.js';
import { HubError } from './errors.js';

const limits = { commitOperations: 5, pathDepth: 3 };
const line = (key: string, value: unknown): string => JSON.stringify({ key, value });
const header = line('header', { summary: 'msg', description: 'd', parentCommit: 'a'.repeat(40) });

describe('parseCommitBody (the NDJSON commit payload)', () => {
  it('parses the five line kinds as both clients send them (with or without a trailing newline, blank lines)', () => {
    const body = [
      header,
      line('file', { path: 'a.txt', content: Buffer.from('hi').toString('base64'), encoding: 'base64' }),
      line('file', { path: 'u.txt', content: 'plain' }),
      '',
      line('lfsFile', { path: 'w.bin', algo: 'sha256', oid: 'b'.repeat(64), size: 7 }),
      line('deletedFile', { path: 'old.txt' }),
      line('deletedFolder', { path: 'dir/' }),
    ].join('\n');
    for (const text of [body, `${body}\n`, body.replace(/\n/g, '\r\n')]) {
      const { header: h, operations } = parseCommitBody(text, limits);
      expect(h).toEqual({ summary: 'msg', description: 'd', parentCommit: 'a'.repeat(40) });
      expect(operations).toEqual([
        { kind: 'file', path: 'a.txt', content: Buffer.from('hi') },
        { kind: 'file', path: 'u.txt', content: Buffer.from('plain') },
        { kind: 'lfsFile', path: 'w.bin', sha256: 'b'.repeat(64), size: 7 },
        { kind: 'deletedFile', path: 'old.txt' },
        { kind: 'deletedFolder', path: 'dir' },
      ]);
    }
  });

  it('defaults the summary and takes the header anywhere', () => {
    const r = parseCommitBody([line('deletedFile', { path: 'x' }), line('header', {})].join('\n'), limits);
    expect(r.header).toEqual({ summary: 'Upload files', description: '' });
  });

  it('refuses malformed bodies with one-line 4xx errors', () => {
    const cases: Array<[string, RegExp]> = [
      ['not json', /NDJSON/],
      [line('file', 'x'), /needs \{key, value\}/],
      [line('file', { path: 'a', content: 'x' }), /needs a header line/],
      [[header, header].join('\n'), /two header lines/],
      [[header, line('file', { path: '../a', content: 'x' })].join('\n'), /Invalid path/],
      [[header, line('file', { path: 'a/b/c/d/e', content: 'x' })].join('\n'), /more than 3 folders deep/],
      [[header, line('file', { path: 'a' })].join('\n'), /has no content/],
      [[header, line('lfsFile', { path: 'a', oid: 'B'.repeat(64), size: 1 })].join('\n'), /64 lowercase hex/],
      [[header, line('lfsFile', { path: 'a', oid: 'b'.repeat(64), size: -1 })].join('\n'), /non-negative integer/],
      [
        [header, line('lfsFile', { path: 'a', algo: 'md5', oid: 'b'.repeat(64), size: 1 })].join('\n'),
        /only algo sha256/,
      ],
      [[header, line('copyFile', { path: 'a' })].join('\n'), /Unsupported commit operation 'copyFile'/],
      [
        [header, line('deletedFile', { path: 'a' }), line('file', { path: 'a', content: '' })].join('\n'),
        /appears twice/,
      ],
      [
        [header, ...Array.from({ length: 6 }, (_, i) => line('deletedFile', { path: `f${i}` }))].join('\n'),
        /at most 5 operations/,
      ],
    ];
    for (const [text, why] of cases) {
      let err: unknown;
      try {
        parseCommitBody(text, limits);
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(HubError);
      expect((err as HubError).status).toBeGreaterThanOrEqual(400);
      expect((err as HubError).status).toBeLessThan(500);
      expect((err as HubError).message).toMatch(why);
    }
  });

  it('streams: one line at a time, an operation per line', () => {
    const parser = new CommitBodyParser(limits);
    expect(parser.add(header)).toBeNull();
    expect(parser.add('   ')).toBeNull();
    expect(parser.add(line('deletedFile', { path: '__proto__' }))).toEqual({ kind: 'deletedFile', path: '__proto__' });
    expect(parser.finish().summary).toBe('msg');
  });
});
