import { fixText } from './fix-text.js';
import { htmlUnescape } from './html-unescape.js';

/** open_clip's text cleaning modes (`tokenizer_kwargs.clean`). */
export type CleanMode = 'lower' | 'whitespace' | 'canonicalize';

// Python's str.split()/strip() whitespace (str.isspace), which differs from JS \s (e.g. \x1c-\x1f, \x85).
const PY_SPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SPACE_RUNS = new RegExp(`[${PY_SPACE}]+`, 'g');
const EDGES = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');
const ASCII_PUNCT = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

const pyStrip = (t: string): string => t.replace(EDGES, '');
const collapse = (t: string): string => pyStrip(t.replace(SPACE_RUNS, ' '));

/** open_clip's `basic_clean`: ftfy, HTML unescaped twice, stripped. */
export function basicClean(text: string): string {
  return pyStrip(htmlUnescape(htmlUnescape(fixText(text))));
}

/** open_clip's `canonicalize_text`: underscores to spaces, ASCII punctuation dropped, lowercased. */
export function canonicalizeText(text: string): string {
  return collapse(text.replace(/_/g, ' ').replace(ASCII_PUNCT, '').toLowerCase());
}

/** The cleaning function open_clip applies before tokenizing, for each `clean` mode. */
export function cleanText(text: string, mode: CleanMode): string {
  const basic = basicClean(text);
  if (mode === 'canonicalize') return canonicalizeText(basic);
  if (mode === 'lower') return collapse(basic).toLowerCase();
  return collapse(basic);
}
