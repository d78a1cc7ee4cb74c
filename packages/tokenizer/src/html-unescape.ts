import entities from './generated/html-entities.json' with { type: 'json' };

const html5: Readonly<Record<string, string>> = entities.html5;
const ftfyUpper: Readonly<Record<string, string>> = entities.ftfyUpper;

// Python's html._invalid_charrefs: numeric references that browsers (and Python) remap.
const INVALID_CHARREFS: ReadonlyMap<number, string> = new Map([
  [0x00, '\ufffd'],
  [0x0d, '\r'],
  [0x80, '\u20ac'],
  [0x81, '\x81'],
  [0x82, '\u201a'],
  [0x83, '\u0192'],
  [0x84, '\u201e'],
  [0x85, '\u2026'],
  [0x86, '\u2020'],
  [0x87, '\u2021'],
  [0x88, '\u02c6'],
  [0x89, '\u2030'],
  [0x8a, '\u0160'],
  [0x8b, '\u2039'],
  [0x8c, '\u0152'],
  [0x8d, '\x8d'],
  [0x8e, '\u017d'],
  [0x8f, '\x8f'],
  [0x90, '\x90'],
  [0x91, '\u2018'],
  [0x92, '\u2019'],
  [0x93, '\u201c'],
  [0x94, '\u201d'],
  [0x95, '\u2022'],
  [0x96, '\u2013'],
  [0x97, '\u2014'],
  [0x98, '\u02dc'],
  [0x99, '\u2122'],
  [0x9a, '\u0161'],
  [0x9b, '\u203a'],
  [0x9c, '\u0153'],
  [0x9d, '\x9d'],
  [0x9e, '\u017e'],
  [0x9f, '\u0178'],
]);

// Code points Python drops from numeric references (control and non-characters).
function isInvalidCodepoint(cp: number): boolean {
  return (
    (cp >= 0x1 && cp <= 0x8) ||
    cp === 0xb ||
    (cp >= 0xe && cp <= 0x1f) ||
    (cp >= 0x7f && cp <= 0x9f) ||
    (cp >= 0xfdd0 && cp <= 0xfdef) ||
    (cp & 0xfffe) === 0xfffe
  );
}

function numericRef(digits: string, hex: boolean): string {
  const num = hex ? parseInt(digits, 16) : parseInt(digits, 10);
  const mapped = INVALID_CHARREFS.get(num);
  if (mapped !== undefined) return mapped;
  if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff || !Number.isFinite(num)) return '\ufffd';
  if (isInvalidCodepoint(num)) return '';
  return String.fromCodePoint(num);
}

const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;

/** Python's `html.unescape`: HTML5 named and numeric references, with its legacy no-semicolon rules. */
export function htmlUnescape(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(CHARREF, (whole, s: string) => {
    if (s[0] === '#') {
      const hex = s[1] === 'x' || s[1] === 'X';
      const digits = s.slice(hex ? 2 : 1).replace(/;$/, '');
      return numericRef(digits, hex);
    }
    const exact = html5[s];
    if (exact !== undefined) return exact;
    // Longest known prefix wins (e.g. "&notit;" -> "¬it;"), as in Python.
    for (let k = s.length - 1; k > 1; k--) {
      const v = html5[s.slice(0, k)];
      if (v !== undefined) return v + s.slice(k);
    }
    return whole;
  });
}

const FTFY_ENTITY = /&#?[0-9A-Za-z]{1,24};/g;

/** ftfy's `unescape_html`: only unambiguous references that end in ';', plus all-caps aliases. */
export function ftfyUnescapeHtml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(FTFY_ENTITY, (ent) => {
    const name = ent.slice(1);
    const v = html5[name] ?? ftfyUpper[name];
    if (v !== undefined) return v;
    if (ent.startsWith('&#')) {
      const out = htmlUnescape(ent);
      // A reference that only partly decoded is left alone, as ftfy does.
      return out.includes(';') ? ent : out;
    }
    return ent;
  });
}
