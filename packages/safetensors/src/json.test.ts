import { describe, expect, it } from 'vitest';
import { SafetensorsError } from './errors.js';
import { JsonNumber, MAX_JSON_DEPTH, parseStrictJson } from './json.js';

const code = (text: string): string => {
  try {
    parseStrictJson(text);
    return 'ok';
  } catch (err) {
    if (!(err instanceof SafetensorsError)) throw err;
    return err.code;
  }
};

describe('parseStrictJson', () => {
  it('parses what JSON.parse parses, with Maps and numbers kept as text', () => {
    const v = parseStrictJson(' {"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n\\"\\ud83d\\ude00"], "b": {}} ');
    expect(v).toBeInstanceOf(Map);
    const a = (v as Map<string, unknown>).get('a') as unknown[];
    expect(a[0]).toEqual(new JsonNumber('1'));
    expect((a[1] as JsonNumber).text).toBe('-2.5e3');
    expect(a.slice(2)).toEqual([true, false, null, 'x\u00e9\n"\u{1f600}']);
  });

  it('keeps integers beyond 2^53 exact by refusing them as indices', () => {
    expect(new JsonNumber('9007199254740991').asIndex()).toBe(9007199254740991);
    expect(new JsonNumber('9007199254740993').asIndex()).toBeNull();
    expect(new JsonNumber('1.0').asIndex()).toBeNull();
    expect(new JsonNumber('-0').asIndex()).toBeNull();
    expect(new JsonNumber('1e2').asIndex()).toBeNull();
  });

  it('rejects duplicate keys at any depth, which JSON.parse would silently merge', () => {
    expect(code('{"a":1,"a":2}')).toBe('DUPLICATE_KEY');
    expect(code('{"x":{"a":1,"b":2,"a":3}}')).toBe('DUPLICATE_KEY');
    expect(code('{"\\u0061":1,"a":2}')).toBe('DUPLICATE_KEY'); // same key after unescaping
    expect(code('{"a":1,"A":2}')).toBe('ok');
  });

  it('rejects what RFC 8259 rejects', () => {
    for (const bad of [
      '',
      '{',
      '{"a"}',
      '{"a":}',
      '{,}',
      '[1,]',
      '{"a":1,}',
      '01',
      '1.',
      '.5',
      '+1',
      '1e',
      'tru',
      'nul',
      '"\t"',
      '"\\x"',
      '"\\u12"',
      "'a'",
      '{a:1}',
      '[1] 2',
      'NaN',
      'Infinity',
      '"\\udc00"',
      '"\\ud800x"',
    ]) {
      expect(code(bad), bad).toBe('INVALID_JSON');
    }
  });

  it('bounds nesting depth instead of overflowing the stack', () => {
    expect(code('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH))).toBe('ok');
    expect(code('['.repeat(MAX_JSON_DEPTH + 2) + ']'.repeat(MAX_JSON_DEPTH + 2))).toBe('JSON_TOO_DEEP');
    expect(code('{"a":'.repeat(100_000))).toBe('JSON_TOO_DEEP');
  });
});
