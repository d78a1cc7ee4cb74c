import { describe, expect, it } from 'vitest';
import { hasOracle, pythonJsonFiles } from '#test-support';
import { fixEncoding, SimpleTokenizer } from '@cliphub/tokenizer';
import { generateTexts } from './test-utils/gen-texts.js';
import { testVocabPath } from './test-utils/vocab.js';

// The one known class of difference (also in the README): ftfy's badness heuristic declines to repair some
// embedded mojibake (e.g. 'Ç…' for 'ǅ', 'â…·' for 'ⅷ', 'â‘¢' for '③') that we decode because it is
// well-formed UTF-8 read as Windows-1252. A mismatch counts as that exception only when open_clip, given the
// text with our mojibake repair applied first, produces exactly our ids: the repair is the sole difference.
// Three texts of this seed hit rarer ftfy steps; each listed exactly, with the reason.
const LISTED: ReadonlyMap<string, string> = new Map([
  ['&Ntilde;\uffe5', "after width folding gives 'Ñ¥', ftfy's heuristic keeps it; we decode it to 'ѥ'"],
  [
    '&Ntilde;&#1234567;\r\n\\MOUNTAIN HOUSE RIVER\u2014',
    "ftfy's replace_lossy_sequences turns 'Ñ�' into '�'; not implemented",
  ],
  [
    '&EACUTE;\u0085\u00c7\u2026emal \u00c7\u02c6ubljana \u00f0\u0178\u2018\u00a9\u00f0\u0178\u008f\u00bb\u00e2\u20ac\u008d\u00f0\u0178\u201d\u00ac coffee\u00e2\u20ac\u2122&gt;',
    "ftfy's heuristic keeps 'É…'; we decode it to 'Ʌ'",
  ],
]);

const PY = `
import json, sys, open_clip
texts = json.load(open(sys.argv[1], encoding='utf-8'))
tok = open_clip.get_tokenizer('ViT-B-32')
out = []
def ids(t):
    r = tok([t])[0].tolist()
    while r and r[-1] == 0: r.pop()
    return r
for t, repaired in texts:
    out.append([ids(t), ids(repaired) if repaired != t else None])
json.dump(out, open(sys.argv[2], 'w'))
`;

describe.skipIf(!hasOracle || !testVocabPath)('SimpleTokenizer parity with open_clip 3.3.0 (real ftfy)', () => {
  it('matches on 10,000 seeded varied texts', async () => {
    const texts = generateTexts(10_000, 20240605);
    const expected = pythonJsonFiles<[number[], number[] | null][]>(
      PY,
      texts.map((t) => [t, fixEncoding(t)]),
    );
    const tok = await SimpleTokenizer.load({ vocabPath: testVocabPath as string });
    const mismatched: { text: string; ours: number[]; theirs: number[] }[] = [];
    let declined = 0;
    let listed = 0;
    texts.forEach((text, i) => {
      const ours = Array.from(tok.tokenize(text).ids, Number);
      while (ours.length && ours[ours.length - 1] === 0) ours.pop();
      const [theirs, theirsAfterRepair] = expected[i] ?? [[], null];
      if (JSON.stringify(ours) === JSON.stringify(theirs)) return;
      if (theirsAfterRepair && JSON.stringify(ours) === JSON.stringify(theirsAfterRepair)) declined++;
      else if (LISTED.has(text)) listed++;
      else mismatched.push({ text, ours, theirs });
    });
    const same = texts.length - declined - listed - mismatched.length;
    console.log(
      `tokenizer parity: ${same}/${texts.length} identical, ${declined} mojibake that ftfy declines to fix, ${listed} listed, ${mismatched.length} other`,
    );
    if (mismatched.length) console.log(JSON.stringify(mismatched.slice(0, 10)));
    expect(mismatched.slice(0, 10)).toEqual([]);
    // the exception stays an exception: a few percent of texts, all of them with injected mojibake
    expect(declined).toBeLessThan(texts.length * 0.05);
    expect(listed).toBe(LISTED.size);
  });
});
