import { ftfyUnescapeHtml } from './html-unescape.js';

// cp1252's 0x80-0x9F block; ftfy's "sloppy" variant passes its five holes through as latin-1.
const CP1252_HIGH =
  '\u20ac\x81\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\x8d\u017d\x8f' +
  '\x90\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\x9d\u017e\u0178';
const SLOPPY_1252_ENCODE = new Map<number, number>();
for (let b = 0; b < 256; b++) SLOPPY_1252_ENCODE.set(b >= 0x80 && b < 0xa0 ? CP1252_HIGH.charCodeAt(b - 0x80) : b, b);

const utf8 = new TextDecoder('utf-8', { fatal: true });
const C1_RE = /[\x80-\x9f]/g;
const c1Fix = (c: string): string => CP1252_HIGH[c.charCodeAt(0) - 0x80] ?? c;

function encodeOneByte(text: string, table: ReadonlyMap<number, number> | null): Uint8Array | null {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const b = table ? table.get(c) : c < 0x100 ? c : undefined;
    if (b === undefined) return null;
    out[i] = b;
  }
  return out;
}

// A UTF-8 lead byte, as latin-1/cp1252 shows it, followed by a continuation byte: the mark of mojibake.
const CONT =
  '\\u0080-\\u00bf\\u20ac\\u201a\\u0192\\u201e\\u2026\\u2020\\u2021\\u02c6\\u2030\\u0160\\u2039\\u0152\\u017d' +
  '\\u2018\\u2019\\u201c\\u201d\\u2022\\u2013\\u2014\\u02dc\\u2122\\u0161\\u203a\\u0153\\u017e\\u0178';
const LOOKS_LIKE_MOJIBAKE = new RegExp(`[\\u00c2-\\u00f4][${CONT}]|[\\u0080-\\u009f]`);

function decodeUtf8(text: string): string | null {
  for (const table of [null, SLOPPY_1252_ENCODE]) {
    const bytes = encodeOneByte(text, table);
    if (!bytes) continue;
    try {
      return utf8.decode(bytes);
    } catch {
      // not UTF-8 underneath in this encoding; try the next one
    }
  }
  return null;
}

// Well-formed UTF-8 sequences as cp1252/latin-1 shows their bytes, in runs: mojibake embedded in good text.
const C = `[${CONT}]`;
const EMBEDDED_UTF8 = new RegExp(`(?:[\\u00c2-\\u00df]${C}|[\\u00e0-\\u00ef]${C}{2}|[\\u00f0-\\u00f4]${C}{3})+`, 'g');

/** One round of ftfy's `fix_encoding`, for UTF-8 read as latin-1 or Windows-1252 (the common cases). */
function fixEncodingOnce(text: string): string {
  if (!LOOKS_LIKE_MOJIBAKE.test(text)) return text;
  const whole = decodeUtf8(text);
  if (whole !== null) return whole;
  // ftfy's decode_inconsistent_utf8: fix the runs that decode, leave the rest.
  const fixed = text.replace(EMBEDDED_UTF8, (run) => (run.length < text.length ? (decodeUtf8(run) ?? run) : run));
  if (fixed !== text) return fixed;
  // Like ftfy, read leftover C1 controls as Windows-1252 inside this loop, so a run that mixed latin-1 and
  // cp1252 mojibake decodes on the next round (before quote uncurling would break it).
  return text.replace(C1_RE, c1Fix);
}

/** ftfy's mojibake step alone (UTF-8 read as latin-1/Windows-1252, whole or embedded), repeated until stable. */
export function fixEncoding(text: string): string {
  for (;;) {
    const next = fixEncodingOnce(text);
    if (next === text) return text;
    text = next;
  }
}

/** ftfy's fix_latin_ligatures table (chardata.LIGATURES); transformers.js layouts write it as normalizers. */
export const LIGATURES: Readonly<Record<string, string>> = {
  '\u0132': 'IJ',
  '\u0133': 'ij',
  '\u0149': '\u02bcn',
  '\u01c4': 'D\u017d',
  '\u01c5': 'D\u017e',
  '\u01c6': 'd\u017e',
  '\u01c7': 'LJ',
  '\u01c8': 'Lj',
  '\u01c9': 'lj',
  '\u01ca': 'NJ',
  '\u01cb': 'Nj',
  '\u01cc': 'nj',
  '\u01f1': 'DZ',
  '\u01f2': 'Dz',
  '\u01f3': 'dz',
  '\ufb00': 'ff',
  '\ufb01': 'fi',
  '\ufb02': 'fl',
  '\ufb03': 'ffi',
  '\ufb04': 'ffl',
  '\ufb05': '\u017ft',
  '\ufb06': 'st',
};
const LIGATURE_RE = /[\u0132\u0133\u0149\u01c4-\u01cc\u01f1-\u01f3\ufb00-\ufb06]/g;
// Fullwidth and halfwidth forms, plus the ideographic space, become their NFKC equivalents.
const WIDTH_RE = /[\u3000\uff01-\uffef]/g;
const widthFix = (c: string): string => (c === '\u3000' ? ' ' : c.normalize('NFKC'));
// eslint-disable-next-line no-control-regex -- these are the control characters ftfy removes
const ANSI_RE = /\x1b\[((?:\d|;)*)([a-zA-Z])/g;
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_RE = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g;
const LONE_SURROGATE_RE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function fixSegment(text: string, unescapeHtml: boolean): string {
  for (;;) {
    const orig = text;
    if (unescapeHtml) text = ftfyUnescapeHtml(text);
    text = fixEncoding(text);
    text = text.replace(C1_RE, c1Fix);
    text = text.replace(LIGATURE_RE, (c) => LIGATURES[c] ?? c);
    text = text.replace(WIDTH_RE, widthFix);
    text = text.replace(/[\u02bc\u2018-\u201b]/g, "'").replace(/[\u201c-\u201f]/g, '"');
    text = text.replace(/\r\n/g, '\n').replace(/[\r\u2028\u2029\u0085]/g, '\n');
    text = text.replace(LONE_SURROGATE_RE, '\ufffd');
    text = text.replace(ANSI_RE, '').replace(CONTROL_RE, '');
    text = text.normalize('NFC');
    if (text === orig) return text;
  }
}

/**
 * ftfy 6's `fix_text` with its default settings, line by line as ftfy does. Mojibake repair covers UTF-8
 * misread as latin-1 or Windows-1252; the rarer codecs ftfy also tries are not covered (see README).
 */
export function fixText(text: string): string {
  let unescapeHtml = true;
  let out = '';
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl + 1;
    const segment = text.slice(pos, end);
    // ftfy's "auto" mode: once a segment looks like HTML, entities are left alone from there on.
    if (unescapeHtml && segment.includes('<')) unescapeHtml = false;
    out += fixSegment(segment, unescapeHtml);
    pos = end;
  }
  return out;
}
