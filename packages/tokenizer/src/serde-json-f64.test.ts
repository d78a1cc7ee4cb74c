import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasOracle, pythonJson, tempDir } from '#test-support';
import { serdeJsonF64 } from './serde-json-f64.js';

// Seeded doubles of every magnitude a score can have: 17-digit ones (which serde_json often rounds), short ones, tiny ones.
function doubles(count: number): number[] {
  let seed = 99;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const out = [
    0, -0, 1, -10, 0.1, -7.5, 1e-7, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -14.418120173902421,
  ];
  while (out.length < count) {
    const kind = out.length % 4;
    if (kind === 0) out.push(-rnd() * 20);
    else if (kind === 1) out.push(-Number((rnd() * 20).toFixed(1 + Math.floor(rnd() * 8))));
    else if (kind === 2) out.push((rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20));
    else out.push(-(rnd() * 2 ** 30) / 2 ** 26 - rnd());
  }
  return out;
}

describe('serdeJsonF64', () => {
  it('keeps values serde_json reads exactly (short digits, integers, specials)', () => {
    for (const x of [0, 1, -10, 0.5, -7.25, 0.1, -3.5e-7, 123456789]) expect(Object.is(serdeJsonF64(x), x)).toBe(true);
    expect(Object.is(serdeJsonF64(-0), -0)).toBe(true);
  });

  it('rounds a 17-digit score as serde_json does: u64 digits to f64, then one division', () => {
    // 14418120173902421 is above 2^53 and rounds to ...420; /1e15 then lands one unit below the exact parse
    expect(serdeJsonF64(-14.418120173902421)).toBe(-14.41812017390242);
    expect(serdeJsonF64(-14.418120173902421)).toBe(-(Number('14418120173902421') / 1e15));
  });

  describe.skipIf(!hasOracle)('against tokenizers 0.23 loading a Unigram tokenizer.json', () => {
    const { dir, cleanup } = tempDir();
    afterAll(cleanup);
    it('gives the score tokenizers holds for 20,000 seeded doubles', () => {
      const xs = doubles(20_000);
      const file = path.join(dir, 'scores.json');
      writeFileSync(file, JSON.stringify(xs));
      // Python writes the tokenizer.json numbers as Rust and transformers do (shortest digits, exponent past 1e16);
      // to_str writes back what serde_json parsed, and Python's json reads that exactly.
      const held = pythonJson<[string, number][]>(
        `
import json, sys
from tokenizers import Tokenizer
xs = [float(x) for x in json.load(open(sys.argv[1]))]  # JSON.stringify writes big integral doubles as ints
spec = {'version': '1.0', 'truncation': None, 'padding': None, 'added_tokens': [], 'normalizer': None, 'pre_tokenizer': None,
        'post_processor': None, 'decoder': None,
        'model': {'type': 'Unigram', 'unk_id': 0, 'byte_fallback': False, 'vocab': [['<unk>', 0.0]] + [[f't{i}', x] for i, x in enumerate(xs)]}}
print(json.dumps(json.loads(Tokenizer.from_str(json.dumps(spec)).to_str())['model']['vocab'][1:]))`,
        [file],
      );
      const ours = xs.map(serdeJsonF64);
      expect(held.length).toBe(xs.length);
      const off = held.filter(([, v], i) => v !== ours[i]).map(([t, v]) => [t, v, ours[Number(t.slice(1))]]);
      expect(off).toEqual([]);
      // and the case matters: a good share of these differ from JSON.parse's exact reading
      expect(xs.filter((x, i) => ours[i] !== x).length).toBeGreaterThan(1_000);
    });
  });
});
