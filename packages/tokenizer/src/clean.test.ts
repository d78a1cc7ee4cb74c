import { describe, expect, it } from 'vitest';
import { hasOracle, pythonJsonFiles } from '#test-support';
import { canonicalizeText, cleanText, fixEncoding, htmlUnescape, type CleanMode } from '@cliphub/tokenizer';
import { generateTexts } from './test-utils/gen-texts.js';

describe('text cleaning', () => {
  it('follows Python html.unescape on its edge cases', () => {
    expect(htmlUnescape('&amp;amp; &notit; &copy &#128; &#x110000; &#0; &bogus; &#1;x')).toBe(
      '&amp; ¬it; © € \ufffd \ufffd &bogus; x',
    );
  });

  it('canonicalizes like big_vision: underscores to spaces, ASCII punctuation dropped, lowercased', () => {
    expect(canonicalizeText('  A_Photo, of: "the" CAT!!  ¿qué? ')).toBe('a photo of the cat ¿qué');
  });
});

const MODES: CleanMode[] = ['lower', 'whitespace', 'canonicalize'];
const PY = `
import json, sys
from open_clip.tokenizer import get_clean_fn
pairs = json.load(open(sys.argv[1], encoding='utf-8'))
modes = ${JSON.stringify(MODES)}
out = [[[get_clean_fn(m)(t), get_clean_fn(m)(r)] for m in modes] for t, r in pairs]
json.dump(out, open(sys.argv[2], 'w', encoding='utf-8'), ensure_ascii=False)
`;

describe.skipIf(!hasOracle)('cleanText vs open_clip get_clean_fn (real ftfy)', () => {
  it('matches every clean mode on 1,500 seeded texts', () => {
    const texts = generateTexts(1500, 99);
    const expected = pythonJsonFiles<[string, string][][]>(
      PY,
      texts.map((t) => [t, fixEncoding(t)]),
    );
    const bad: unknown[] = [];
    let declined = 0;
    texts.forEach((t, i) => {
      MODES.forEach((mode, m) => {
        const ours = cleanText(t, mode);
        const [theirs, theirsAfterRepair] = expected[i]?.[m] ?? ['', ''];
        if (ours === theirs) return;
        // the documented exception: mojibake ftfy's heuristic leaves that we repair
        if (ours === theirsAfterRepair) declined++;
        else bad.push({ mode, t, ours, theirs });
      });
    });
    console.log(
      `clean parity: ${texts.length * MODES.length - declined - bad.length}/${texts.length * MODES.length} identical, ${declined} declined mojibake`,
    );
    if (bad.length) console.log(JSON.stringify(bad));
    expect(bad.slice(0, 5)).toEqual([]);
  });
});
