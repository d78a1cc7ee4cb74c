// A seeded generator of varied texts for tokenizer parity: scripts, emoji, HTML entities, punctuation
// runs, long texts, curly quotes, ligatures, fullwidth forms, mojibake, odd whitespace and controls.

import { seededRandom } from '#test-support';

const WORDS = (
  'a photo of the dog cat car house tree sky beautiful red small large running jumping painting ' +
  'astronaut riding horse diagram city night street food pizza coffee mountain river ocean sunset portrait ' +
  "don't it's we're they've I'm you'll he'd CAN'T Won't O'Brien rock'n'roll e-mail state-of-the-art"
).split(' ');
const SCRIPTS = [
  '東京の夜景',
  '猫が好きです',
  '北京烤鸭',
  '한국어 텍스트',
  'Привет мир',
  'Ελληνικά γράμματα ΟΔΟΣ',
  'مرحبا بالعالم',
  'שלום עולם',
  'नमस्ते दुनिया',
  'สวัสดีครับ',
  'Tiếng Việt có dấu',
  'Zürich Straße Ærøskøbing',
  'İstanbul ıi',
  'ﾊﾝｶｸ ｶﾀｶﾅ',
  'café naïve résumé',
  'e\u0301 combining',
  'ǅemal ǈubljana',
  '𝒜𝓁𝓅𝒽𝒶 𝟙𝟚𝟛',
  'ℌ𝔢𝔩𝔩𝔬',
  'ⅷ ½ ² ③',
  '١٢٣ ४५६',
];
const EMOJI = ['😀', '🐶', '👍🏽', '👨‍👩‍👧‍👦', '🇯🇵', '❤️', '✔', '🏳️‍🌈', '🤖', '☕', '🍕🍕🍕', '👩🏻‍🔬'];
const ENTITIES = [
  '&amp;',
  '&lt;',
  '&gt;',
  '&quot;',
  '&#39;',
  '&nbsp;',
  '&eacute;',
  '&EACUTE;',
  '&hellip;',
  '&#8217;',
  '&#x2019;',
  '&#128;',
  '&#150;',
  '&amp;amp;',
  '&amp;eacute;',
  '&amp x',
  '&notit;',
  '&copy',
  '&#0;',
  '&#xD800;',
  '&SZLIG;',
  '&Ntilde;',
  '&nTILDE;',
  '&frac12;',
  '&mdash;',
  '&#1234567;',
  '&bogus;',
  '&#x1F600;',
  '&lt;b&gt;',
];
const PUNCT = [
  '!!!',
  '?!',
  '...',
  '—',
  '–',
  '---',
  '***',
  '(',
  ')',
  '[x]',
  '{}',
  '@#$%',
  '...!?',
  '«»',
  '¿¡',
  '・',
  '。',
  '、',
  '…',
  '•',
  '~~~',
  '_',
  '__init__',
  "''",
  '""',
  '`',
  '\\',
  '/',
  '|',
];
const QUOTES = ['\u2018', '\u2019', '\u201a', '\u201b', '\u201c', '\u201d', '\u201e', '\u201f', '\u02bc', '\u2032'];
const LIGS = ['ﬁ', 'ﬂ', 'ﬀ', 'ﬃ', 'ﬄ', 'ﬅ', 'ﬆ', 'Ĳ', 'ŉ', 'ǆ', 'Ǳ'];
const FULLWIDTH = ['ＬＯＵＤ', 'ｎｏｉｓｅ', '１２３', '！？', '\u3000', 'ｶﾀｶﾅ', '￥', '￦', '＄'];
const SPACES = [
  ' ',
  '  ',
  '\t',
  '\n',
  '\r\n',
  '\u00a0',
  '\u3000',
  '\u2003',
  '\u200b',
  '\u2028',
  '\x1c',
  '\x85',
  '\ufeff',
  '\u202f',
];
const CONTROLS = ['\x00', '\x07', '\x1b[31m', '\x1b[0m', '\x7f', '\u206a', '\ufff9', '\x80', '\x93', '\x94', '\x9d'];

const CP1252 =
  '\u20ac\x81\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\x8d\u017d\x8f' +
  '\x90\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\x9d\u017e\u0178';
/** UTF-8 bytes shown as latin-1 or Windows-1252: the classic mojibake. */
export function mojibake(text: string, cp1252: boolean): string {
  let out = '';
  for (const b of new TextEncoder().encode(text))
    out += cp1252 && b >= 0x80 && b < 0xa0 ? CP1252[b - 0x80] : String.fromCharCode(b);
  return out;
}

export function generateTexts(count: number, seed: number): string[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const sentence = (n: number): string => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const caseMix = (s: string): string =>
    rnd() < 0.3 ? s.toUpperCase() : rnd() < 0.3 ? s.replace(/\b\w/g, (c) => c.toUpperCase()) : s;
  const pieces: (() => string)[] = [
    () => caseMix(sentence(1 + Math.floor(rnd() * 8))),
    () => pick(SCRIPTS),
    () => pick(EMOJI),
    () => pick(ENTITIES),
    () => pick(PUNCT),
    () => `${pick(QUOTES)}${pick(WORDS)}${pick(QUOTES)}`,
    () => `${pick(WORDS)}${pick(LIGS)}${pick(WORDS)}`,
    () => pick(FULLWIDTH),
    () => pick(SPACES),
    () => pick(CONTROLS),
    () => mojibake(`${pick(SCRIPTS)} ${pick(EMOJI)} ${pick(WORDS)}${pick(QUOTES)}`, rnd() < 0.6),
    () => String(Math.floor(rnd() * 1e6)) + (rnd() < 0.5 ? '.5%' : 'px'),
    () => '<b>' + pick(WORDS) + '</b>',
  ];
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = rnd();
    if (kind < 0.05) {
      // long texts that overflow the 77-token context
      texts.push(Array.from({ length: 60 + Math.floor(rnd() * 80) }, () => pick(pieces)()).join(' '));
    } else {
      const n = 1 + Math.floor(rnd() * 6);
      texts.push(Array.from({ length: n }, () => pick(pieces)()).join(rnd() < 0.7 ? ' ' : ''));
    }
  }
  return texts;
}
