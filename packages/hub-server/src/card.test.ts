import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '#test-support';
import { describe, expect, it } from 'vitest';
import { CardParser, readFrontMatter } from './card.js';
import { DEFAULT_LIMITS } from './limits.js';

const limits = { ...DEFAULT_LIMITS, cardNodes: 50 };

describe('model-card front matter', () => {
  it('reads data, or says in one line why not', () => {
    expect(readFrontMatter('# no front matter', limits)).toEqual({ data: null });
    expect(readFrontMatter('---\nlibrary_name: open_clip\ntags: [a, b]\n---\n# x', limits)).toEqual({
      data: { library_name: 'open_clip', tags: ['a', 'b'] },
    });
    expect(readFrontMatter('---\n---\n', limits)).toEqual({ data: {} });
    expect(readFrontMatter('---\na: 1\n', limits).error).toMatch(/never ends/);
    const many = `---\n${Array.from({ length: 30 }, (_, i) => `k${i}: ${i}`).join('\n')}\n---\n`;
    expect(readFrontMatter(many, limits).error).toMatch(/more than 50 keys and values/);
    expect(readFrontMatter(`---\n${'x'.repeat(DEFAULT_LIMITS.cardBytes + 1)}\n---\n`, limits).error).toMatch(
      /over the server limit/,
    );
  });

  it('keeps __proto__ an ordinary key and never pollutes prototypes', () => {
    const fm = readFrontMatter('---\n__proto__: {polluted: 1}\nconstructor: 2\n---\n', limits);
    expect(Object.keys(fm.data ?? {})).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('parses in a worker, replaces a worker that runs over time, and caches by blob oid', async () => {
    const { dir, cleanup } = tempDir('cliphub-card-');
    const slow = new CardParser({ ...limits, cardParseMs: 1 });
    const parser = new CardParser(limits);
    try {
      const timedOut = await slow.parse(
        `---\n${Array.from({ length: 40 }, (_, i) => `k${i}: [${i}]`).join('\n')}\n---\n`,
      );
      expect(timedOut.error).toMatch(/took over 1 ms|could not be parsed/);
      expect(await parser.parse('---\na: [1, {b: c}]\n---\n')).toEqual({ data: { a: [1, { b: 'c' }] } });
      expect((await parser.parse(`---\nx: ${'['.repeat(5000)}${']'.repeat(5000)}\n---\n`)).error).toMatch(
        /nests more than 32/,
      );
      const file = path.join(dir, 'README.md');
      writeFileSync(file, '---\ntags: [clip]\n---\n# card\n');
      expect(await parser.forFile(file, 'oid-1')).toEqual({ data: { tags: ['clip'] } });
      rmSync(file);
      expect(await parser.forFile(file, 'oid-1')).toEqual({ data: { tags: ['clip'] } }); // from the cache
    } finally {
      slow.close();
      parser.close();
      cleanup();
    }
  });
});
