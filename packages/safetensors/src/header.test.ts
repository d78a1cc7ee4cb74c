import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasOracle, tempDir } from '#test-support';
import { SafetensorsError, parseSafetensorsHeader, readSafetensorsHeader, type SafetensorsErrorCode } from './index.js';
import { pythonAccepts } from './test-utils/python-accepts.js';

/** A safetensors file from raw header text and a data length (bytes 0..n-1). */
function build(header: string, dataBytes: number, opts: { pad?: number; lengthOverride?: bigint } = {}): Uint8Array {
  const json = Buffer.from(header + ' '.repeat(opts.pad ?? 0), 'utf8');
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, opts.lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  for (let i = 0; i < dataBytes; i++) out[8 + json.length + i] = i & 0xff;
  return out;
}
const t = (dtype: string, shape: number[], b: number, e: number): string =>
  JSON.stringify({ dtype, shape, data_offsets: [b, e] });

function codeOf(bytes: Uint8Array, fileSize = bytes.length): SafetensorsErrorCode | 'ok' {
  try {
    parseSafetensorsHeader(bytes, fileSize);
    return 'ok';
  } catch (err) {
    if (!(err instanceof SafetensorsError)) throw err;
    expect(err.exitCode).toBe(2);
    expect(err.message).not.toContain('\n');
    return err.code;
  }
}

describe('parseSafetensorsHeader accepts valid files', () => {
  it('parses tensors in offset order, metadata, padding and empty tensors sharing an offset', () => {
    const h = parseSafetensorsHeader(
      build(
        `{"b":${t('F32', [2], 8, 16)},"__metadata__":{"format":"pt","k":"v"},"a":${t('I64', [1], 0, 8)},"e1":${t('F16', [0, 3], 16, 16)},"e2":${t('U8', [0], 16, 16)},"s":${t('BOOL', [], 16, 17)}}`,
        17,
        { pad: 5 },
      ),
      8 +
        0 +
        17 +
        Buffer.byteLength(
          `{"b":${t('F32', [2], 8, 16)},"__metadata__":{"format":"pt","k":"v"},"a":${t('I64', [1], 0, 8)},"e1":${t('F16', [0, 3], 16, 16)},"e2":${t('U8', [0], 16, 16)},"s":${t('BOOL', [], 16, 17)}}`,
        ) +
        5,
    );
    expect([...h.tensors.keys()]).toEqual(['a', 'b', 'e1', 'e2', 's']);
    expect(h.tensors.get('s')).toEqual({ dtype: 'BOOL', shape: [], dataOffsets: [16, 17] });
    expect(h.metadata).toEqual({ format: 'pt', k: 'v' });
    expect(h.dataStart).toBe(8 + h.headerLength);
    expect(h.headerLength % 8).toBe(0);
  });

  it('accepts an empty header object, leading whitespace (as the reference does) and a null __metadata__', () => {
    expect(parseSafetensorsHeader(build(' \n{}', 0), 12).tensors.size).toBe(0);
    expect(parseSafetensorsHeader(build('{}', 0), 10).tensors.size).toBe(0);
    expect(parseSafetensorsHeader(build('{"__metadata__":null}', 0), 29).metadata).toBeNull();
  });
});

// Each case names the rule, the file, and the error code we must give.
const ok = (header: string, data: number): Uint8Array => build(header, data);
const cases: {
  rule: string;
  bytes: Uint8Array;
  fileSize?: number;
  code: SafetensorsErrorCode;
  pythonAccepts?: boolean;
}[] = [
  { rule: 'file shorter than 8 bytes', bytes: new Uint8Array(5), code: 'HEADER_TOO_SMALL' },
  {
    rule: 'header length over 100,000,000',
    bytes: build('{}', 0, { lengthOverride: 100_000_001n }),
    code: 'HEADER_TOO_LARGE',
  },
  {
    rule: 'header length near 2^64',
    bytes: build('{}', 0, { lengthOverride: 0xffffffffffffffffn }),
    code: 'HEADER_TOO_LARGE',
  },
  { rule: 'header length past EOF', bytes: build('{}', 0, { lengthOverride: 4000n }), code: 'HEADER_PAST_EOF' },
  {
    rule: 'header not UTF-8',
    bytes: build('{"\u00e9":1}', 0).map((b) => (b === 0xc3 ? 0xff : b)),
    code: 'INVALID_UTF8',
  },
  { rule: 'invalid JSON', bytes: build(`{"a":${t('F32', [1], 0, 4)}`, 4), code: 'INVALID_JSON' },
  { rule: 'trailing garbage after the JSON', bytes: build('{}x', 0), code: 'INVALID_JSON' },
  { rule: 'NUL padding instead of spaces', bytes: build('{}\0\0', 0), code: 'INVALID_JSON' },
  { rule: 'header is an array', bytes: build('[1]', 0), code: 'HEADER_NOT_OBJECT' },
  { rule: 'header is a string', bytes: build('"{}"', 0), code: 'HEADER_NOT_OBJECT' },
  {
    rule: 'duplicate tensor key',
    bytes: ok(`{"a":${t('F32', [1], 0, 4)},"a":${t('F32', [1], 0, 4)}}`, 4),
    code: 'DUPLICATE_KEY',
    pythonAccepts: true,
  },
  {
    rule: 'duplicate field in an entry',
    bytes: ok(`{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4),
    code: 'DUPLICATE_KEY',
  },
  { rule: 'metadata not an object', bytes: ok('{"__metadata__":["x"]}', 0), code: 'BAD_METADATA' },
  { rule: 'metadata value not a string', bytes: ok('{"__metadata__":{"format":1}}', 0), code: 'BAD_METADATA' },
  { rule: 'tensor entry not an object', bytes: ok('{"a":5}', 0), code: 'BAD_TENSOR_ENTRY' },
  {
    rule: 'tensor entry lacks data_offsets',
    bytes: ok('{"a":{"dtype":"F32","shape":[]}}', 0),
    code: 'BAD_TENSOR_ENTRY',
  },
  { rule: 'unknown dtype', bytes: ok(`{"a":${t('F31', [1], 0, 4)}}`, 4), code: 'BAD_DTYPE' },
  { rule: 'lowercase dtype', bytes: ok(`{"a":${t('f32', [1], 0, 4)}}`, 4), code: 'BAD_DTYPE' },
  {
    rule: 'valid but unsupported dtype',
    bytes: ok(`{"a":${t('U16', [2], 0, 4)}}`, 4),
    code: 'UNSUPPORTED_DTYPE',
    pythonAccepts: true,
  },
  {
    rule: 'negative dimension',
    bytes: ok('{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}', 0),
    code: 'BAD_SHAPE',
  },
  {
    rule: 'fractional dimension',
    bytes: ok('{"a":{"dtype":"U8","shape":[1.0],"data_offsets":[0,1]}}', 1),
    code: 'BAD_SHAPE',
  },
  {
    rule: 'shape not an array',
    bytes: ok('{"a":{"dtype":"U8","shape":4,"data_offsets":[0,4]}}', 4),
    code: 'BAD_SHAPE',
  },
  {
    rule: 'three data offsets',
    bytes: ok('{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4,4]}}', 4),
    code: 'BAD_OFFSETS',
  },
  {
    rule: 'end before begin',
    bytes: ok('{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}', 4),
    code: 'BAD_OFFSETS',
  },
  {
    rule: 'offset beyond 2^53',
    bytes: ok('{"a":{"dtype":"U8","shape":[0],"data_offsets":[18446744073709551615,18446744073709551615]}}', 0),
    code: 'BAD_OFFSETS',
  },
  {
    rule: 'byte length != dtype size x numel',
    bytes: ok(`{"a":${t('F32', [2], 0, 4)}}`, 4),
    code: 'BYTE_LENGTH_MISMATCH',
  },
  {
    rule: 'numel overflow',
    bytes: ok(`{"a":${t('F64', [4294967296, 4294967296, 4], 0, 8)}}`, 8),
    code: 'BYTE_LENGTH_MISMATCH',
  },
  {
    rule: 'overlapping offsets',
    bytes: ok(`{"a":${t('U8', [4], 0, 4)},"b":${t('U8', [4], 2, 6)}}`, 6),
    code: 'OFFSET_OVERLAP',
  },
  {
    rule: 'two tensors on the same bytes',
    bytes: ok(`{"a":${t('U8', [4], 0, 4)},"b":${t('U8', [4], 0, 4)}}`, 4),
    code: 'OFFSET_OVERLAP',
  },
  {
    rule: 'gap between tensors',
    bytes: ok(`{"a":${t('U8', [4], 0, 4)},"b":${t('U8', [4], 6, 10)}}`, 10),
    code: 'OFFSET_GAP',
  },
  { rule: 'first tensor not at 0', bytes: ok(`{"a":${t('U8', [4], 2, 6)}}`, 6), code: 'OFFSET_GAP' },
  { rule: 'out-of-range offsets', bytes: ok(`{"a":${t('U8', [8], 0, 8)}}`, 4), code: 'TRUNCATED' },
  { rule: 'trailing bytes after the last tensor', bytes: ok(`{"a":${t('U8', [4], 0, 4)}}`, 5), code: 'TRAILING_BYTES' },
  { rule: 'data but no tensors', bytes: ok('{}', 3), code: 'TRAILING_BYTES' },
  {
    rule: 'nesting bomb',
    bytes: ok(`{"__metadata__":${'['.repeat(5000)}${']'.repeat(5000)}}`, 0),
    code: 'JSON_TOO_DEEP',
  },
  { rule: 'lone surrogate escape', bytes: ok('{"__metadata__":{"k":"\\ud800"}}', 0), code: 'INVALID_JSON' },
];

describe('parseSafetensorsHeader rejects every malformed file with a precise error', () => {
  for (const c of cases) {
    it(`${c.rule} -> ${c.code}`, () => {
      expect(codeOf(c.bytes, c.fileSize)).toBe(c.code);
    });
  }

  it('a truncated file (header intact) is reported as truncated', () => {
    const full = ok(`{"a":${t('F32', [4], 0, 16)}}`, 16);
    expect(codeOf(full.subarray(0, full.length - 3))).toBe('TRUNCATED');
  });

  it('needs the whole header in memory, and says how much', () => {
    const full = ok(`{"a":${t('F32', [4], 0, 16)}}`, 16);
    expect(() => parseSafetensorsHeader(full.subarray(0, 20), full.length)).toThrow(/pass the file's first \d+ bytes/);
  });

  it('names the offending tensor and what to do', () => {
    expect(() =>
      parseSafetensorsHeader(
        cases.find((c) => c.code === 'OFFSET_OVERLAP')!.bytes,
        cases.find((c) => c.code === 'OFFSET_OVERLAP')!.bytes.length,
      ),
    ).toThrow(
      /tensor "b" starts at data byte 2, overlapping the previous tensor, which ends at 4; the file is corrupt/,
    );
  });

  it.skipIf(!hasOracle)('the reference (Python safetensors) rejects the same files, except the stricter rules', () => {
    const { dir, cleanup } = tempDir('cliphub-st-hdr-');
    try {
      const files = cases.map((c, i) => {
        const f = path.join(dir, `${i}.safetensors`);
        writeFileSync(f, c.bytes);
        return f;
      });
      const accepted = pythonAccepts(files);
      expect(accepted.map((a, i) => `${cases[i]!.rule}: ${a}`)).toEqual(
        cases.map((c) => `${c.rule}: ${c.pythonAccepts === true}`),
      );
    } finally {
      cleanup();
    }
  });
});

describe('readSafetensorsHeader', () => {
  const { dir, cleanup } = tempDir('cliphub-st-rh-');
  afterAll(cleanup);

  it('reads a header from disk and prefixes errors with the path', async () => {
    const good = path.join(dir, 'good.safetensors');
    writeFileSync(good, ok(`{"a":${t('U8', [4], 0, 4)}}`, 4));
    expect((await readSafetensorsHeader(good)).tensors.get('a')).toEqual({
      dtype: 'U8',
      shape: [4],
      dataOffsets: [0, 4],
    });
    const bad = path.join(dir, 'bad.safetensors');
    // Claims a 99 MB header in a 20-byte file: refused before any large allocation.
    writeFileSync(bad, build('{}', 10, { lengthOverride: 99_000_000n }));
    await expect(readSafetensorsHeader(bad)).rejects.toMatchObject({
      code: 'HEADER_PAST_EOF',
      message: expect.stringContaining(bad),
    });
    await expect(readSafetensorsHeader(path.join(dir, 'missing.safetensors'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      exitCode: 2,
    });
    await expect(readSafetensorsHeader(dir)).rejects.toBeInstanceOf(SafetensorsError);
  });
});
