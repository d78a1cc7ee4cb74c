import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasOracle, pythonJson, tempDir } from '#test-support';
import { UnigramModel } from './unigram-model.js';

const ids = (m: UnigramModel, word: string) => m.tokenize(word).map((t) => t.id);

describe('UnigramModel (tokenizers Unigram, Rust semantics)', () => {
  it('finds the best path and fuses unknown runs into one unk', () => {
    const m = new UnigramModel(
      [
        ['<unk>', 0],
        ['a', 0],
        ['b', 0],
        ['c', 0],
        ['d', 0],
        ['cd', 1],
        ['ab', 2],
        ['abc', 5],
        ['abcd', 10],
      ],
      0,
    );
    expect(m.encode('abcdacdxx')).toEqual(['abcd', 'a', 'cd', 'xx']);
    expect(ids(m, 'abcdacdxx')).toEqual([8, 1, 5, 0]);
    expect(m.tokenize('x😀y').map((t) => t.value)).toEqual(['<unk>']);
    expect(m.encode('')).toEqual([]);
    expect(m.unkScore).toBe(-10);
  });

  it('keeps an exact tie on the leftmost start (strict >)', () => {
    // 'abc': a+bc and ab+c both score -3; the path ending in 'bc' (start 1) reaches the end first
    const m = new UnigramModel(
      [
        ['<unk>', -5],
        ['a', -1],
        ['bc', -2],
        ['ab', -2],
        ['c', -1],
        ['b', -9],
      ],
      0,
    );
    expect(m.encode('abc')).toEqual(['a', 'bc']);
    // and an unknown piece scores min - 10 = -19, whatever the unk entry's own score
    expect(m.unkScore).toBe(-19);
  });

  it('byte_fallback spells a piece outside the vocab as <0xXX> pieces, or unk if one byte is missing', () => {
    const bytes = [...new TextEncoder().encode('é')].map((b): [string, number] => [
      `<0x${b.toString(16).toUpperCase()}>`,
      -20,
    ]);
    const m = new UnigramModel([['<unk>', 0], ['a', -1], ...bytes], 0, true);
    expect(m.tokenize('aéa').map((t) => t.value)).toEqual(['a', '<0xC3>', '<0xA9>', 'a']);
    // é and 😀 fuse into one unknown piece; 😀's bytes are missing, so the whole piece is unk
    expect(ids(m, 'aé😀a')).toEqual([1, 0, 1]);
  });

  it('a later duplicate piece wins, as in a Rust HashMap', () => {
    const m = new UnigramModel(
      [
        ['<unk>', 0],
        ['a', -1],
        ['a', -2],
      ],
      0,
    );
    expect(ids(m, 'aa')).toEqual([2, 2]);
  });

  it('rejects a bad unk_id, and an unknown character without one', () => {
    expect(() => new UnigramModel([['a', 0]], 3)).toThrow(/unk_id 3/);
    expect(() => UnigramModel.fromJson({ vocab: [['a', 'x']] })).toThrow(/vocab entry 0/);
    const m = new UnigramModel([['a', 0]], null);
    expect(m.encode('aa')).toEqual(['a', 'a']);
    expect(() => m.encode('ab')).toThrow(/U\+0062/);
  });

  describe.skipIf(!hasOracle)('against tokenizers 0.23 (Rust) on seeded vocabs full of near-ties', () => {
    const { dir, cleanup } = tempDir();
    afterAll(cleanup);

    it('same ids for every word', () => {
      let seed = 4242;
      const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
      const alphabet = ['a', 'b', 'c', 'é', '😀', '東'];
      const cases = Array.from({ length: 24 }, (_, c) => {
        const byteFallback = c % 3 === 0;
        const charScore = new Map(alphabet.map((ch) => [ch, -1 - rnd() * 9]));
        const vocab: [string, number][] = [['<unk>', 0]];
        // '東' stays out of the vocab (unknown); byte pieces for some of its and 'é''s bytes
        for (const ch of alphabet.slice(0, 5)) if (rnd() < 0.9) vocab.push([ch, charScore.get(ch) as number]);
        if (byteFallback)
          for (const b of [0xc3, 0xa9, 0xe6, 0x9d, 0xb1]) vocab.push([`<0x${b.toString(16).toUpperCase()}>`, -30]);
        for (let i = 0; i < 80; i++) {
          const piece = Array.from(
            { length: 2 + Math.floor(rnd() * 4) },
            () => alphabet[Math.floor(rnd() * 5)] as string,
          ).join('');
          // half score as the sum of their characters, so segmentations tie up to float rounding
          const sum = [...piece].reduce((s, ch) => s + (charScore.get(ch) as number), 0);
          vocab.push([piece, rnd() < 0.5 ? sum : rnd() < 0.5 ? Math.round(sum) : sum - rnd()]);
        }
        const words = Array.from({ length: 150 }, () =>
          Array.from({ length: 1 + Math.floor(rnd() * 14) }, () => alphabet[Math.floor(rnd() * 6)]).join(''),
        );
        return { model: { type: 'Unigram', unk_id: 0, byte_fallback: byteFallback, vocab }, words };
      });
      const file = path.join(dir, 'cases.json');
      writeFileSync(file, JSON.stringify(cases));
      // Python writes each tokenizer.json as transformers and tokenizers do; Rust parses it and tokenizes word by word.
      const theirs = pythonJson<number[][][]>(
        `
import json, sys
from tokenizers import Tokenizer
out = []
for c in json.load(open(sys.argv[1])):
    m = c['model']
    m['vocab'] = [[p, float(s)] for p, s in m['vocab']]
    spec = {'version': '1.0', 'truncation': None, 'padding': None, 'added_tokens': [], 'normalizer': None, 'pre_tokenizer': None,
            'post_processor': None, 'decoder': None, 'model': m}
    tok = Tokenizer.from_str(json.dumps(spec))
    out.append([e.ids for e in tok.encode_batch(c['words'])])
print(json.dumps(out))`,
        [file],
      );
      let words = 0;
      let roundingMatters = 0;
      cases.forEach((c, k) => {
        const model = UnigramModel.fromJson(c.model);
        const exact = new UnigramModel(c.model.vocab, 0, c.model.byte_fallback);
        const bad = c.words.filter((w, i) => ids(model, w).join() !== theirs[k]?.[i]?.join());
        expect(bad).toEqual([]);
        words += c.words.length;
        roundingMatters += c.words.filter((w) => ids(exact, w).join() !== ids(model, w).join()).length;
      });
      expect(words).toBe(24 * 150);
      // the seeds do reach ties that serde_json's rounding of the scores decides
      expect(roundingMatters).toBeGreaterThan(0);
    });
  });
});
