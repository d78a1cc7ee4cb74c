import { SafetensorsError } from './errors.js';

/** A JSON number kept as its source text, so integers beyond 2^53 and floats are told apart exactly. */
export class JsonNumber {
  constructor(readonly text: string) {}
  /** The value as a non-negative safe integer, or null when it is not one (float, negative, too large). */
  asIndex(): number | null {
    if (!/^(0|[1-9][0-9]*)$/.test(this.text)) return null;
    const n = Number(this.text);
    return Number.isSafeInteger(n) ? n : null;
  }
}
export type JsonObject = Map<string, JsonValue>;
export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;

/** Nesting deeper than this is never a safetensors header; refusing it keeps recursion bounded. */
export const MAX_JSON_DEPTH = 64;

const WS = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Parses RFC 8259 JSON strictly. Unlike JSON.parse it rejects duplicate object keys (JSON.parse keeps the
 * last silently), keeps numbers as text, uses Maps (no prototype keys) and bounds the nesting depth.
 */
export function parseStrictJson(text: string): JsonValue {
  let i = 0;
  const n = text.length;

  const fail = (what: string): never => {
    throw new SafetensorsError(
      'INVALID_JSON',
      `safetensors header is not valid JSON: ${what} at character ${i}; the file is corrupt, re-export it`,
    );
  };
  const skipWs = (): void => {
    while (i < n && WS(text.charCodeAt(i))) i++;
  };

  const parseString = (): string => {
    // Caller saw the opening quote at i.
    i++;
    let out = '';
    let start = i;
    for (;;) {
      if (i >= n) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(start, i);
      const e = text.charCodeAt(i + 1);
      i += 2;
      switch (e) {
        case 0x22:
          out += '"';
          break;
        case 0x5c:
          out += '\\';
          break;
        case 0x2f:
          out += '/';
          break;
        case 0x62:
          out += '\b';
          break;
        case 0x66:
          out += '\f';
          break;
        case 0x6e:
          out += '\n';
          break;
        case 0x72:
          out += '\r';
          break;
        case 0x74:
          out += '\t';
          break;
        case 0x75: {
          const hex = text.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
          const unit = parseInt(hex, 16);
          i += 4;
          // A lone surrogate is not a Unicode scalar value; the reference (serde_json) refuses it too.
          if (unit >= 0xdc00 && unit <= 0xdfff) fail('lone low surrogate escape');
          if (unit >= 0xd800 && unit <= 0xdbff) {
            const low = /^\\u[dD][c-fC-F][0-9a-fA-F]{2}$/.test(text.slice(i, i + 6))
              ? parseInt(text.slice(i + 2, i + 6), 16)
              : -1;
            if (low < 0) fail('lone high surrogate escape');
            out += String.fromCharCode(unit, low);
            i += 6;
          } else {
            out += String.fromCharCode(unit);
          }
          break;
        }
        default:
          i -= 2;
          fail('bad escape');
      }
      start = i;
    }
  };

  const parseNumber = (): JsonNumber => {
    const start = i;
    if (text.charCodeAt(i) === 0x2d) i++;
    const digits = (): number => {
      const s = i;
      while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
      return i - s;
    };
    const intStart = i;
    const d = digits();
    if (d === 0) fail('bad number');
    if (d > 1 && text.charCodeAt(intStart) === 0x30) fail('leading zero in number');
    if (text.charCodeAt(i) === 0x2e) {
      i++;
      if (digits() === 0) fail('bad fraction');
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const s = text.charCodeAt(i);
      if (s === 0x2b || s === 0x2d) i++;
      if (digits() === 0) fail('bad exponent');
    }
    return new JsonNumber(text.slice(start, i));
  };

  const literal = (word: string, value: JsonValue): JsonValue => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return value;
    }
    return fail('unexpected token');
  };

  /** Reads comma-separated members with `member` up to the `close` bracket (the opening one already read). */
  const members = (close: number, member: () => void): void => {
    skipWs();
    if (text.charCodeAt(i) === close) {
      i++;
      return;
    }
    for (;;) {
      member();
      skipWs();
      const sep = text.charCodeAt(i);
      i++;
      if (sep === close) return;
      if (sep !== 0x2c) {
        i--;
        fail(`expected ',' or '${String.fromCharCode(close)}'`);
      }
    }
  };
  const parseValue = (depth: number): JsonValue => {
    if (depth > MAX_JSON_DEPTH) {
      throw new SafetensorsError(
        'JSON_TOO_DEEP',
        `safetensors header nests deeper than ${MAX_JSON_DEPTH} levels at character ${i}; the file is corrupt or hostile`,
      );
    }
    skipWs();
    if (i >= n) fail('unexpected end');
    const c = text.charCodeAt(i);
    if (c === 0x7b) {
      i++;
      const obj: JsonObject = new Map();
      members(0x7d, () => {
        skipWs();
        if (text.charCodeAt(i) !== 0x22) fail('expected a string key');
        const keyAt = i;
        const key = parseString();
        if (obj.has(key)) {
          throw new SafetensorsError(
            'DUPLICATE_KEY',
            `safetensors header has the key ${JSON.stringify(key)} twice (character ${keyAt}); the file is ambiguous, re-export it`,
          );
        }
        skipWs();
        if (text.charCodeAt(i) !== 0x3a) fail("expected ':'");
        i++;
        obj.set(key, parseValue(depth + 1));
      });
      return obj;
    }
    if (c === 0x5b) {
      i++;
      const arr: JsonValue[] = [];
      members(0x5d, () => arr.push(parseValue(depth + 1)));
      return arr;
    }
    if (c === 0x22) return parseString();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return parseNumber();
    if (c === 0x74) return literal('true', true);
    if (c === 0x66) return literal('false', false);
    if (c === 0x6e) return literal('null', null);
    return fail('unexpected character');
  };

  const value = parseValue(0);
  skipWs();
  if (i < n) fail('unexpected data after the JSON value');
  return value;
}
