import { DTYPE_BYTES, OTHER_SAFETENSORS_DTYPES, isDType, type DType } from './dtype.js';
import { SafetensorsError } from './errors.js';
import { JsonNumber, parseStrictJson, type JsonValue } from './json.js';

/** The reference implementation's limit; a larger header is refused before it is read. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  dtype: DType;
  shape: number[];
  /** [begin, end) in bytes, relative to the start of the data buffer (header end). */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** In file order (ascending data offsets). */
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string> | null;
  /** The JSON header's byte length, as stored in the 8-byte prefix. */
  headerLength: number;
  /** Absolute file offset of the data buffer: 8 + headerLength. */
  dataStart: number;
  fileSize: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function bad(code: ConstructorParameters<typeof SafetensorsError>[0], message: string): never {
  throw new SafetensorsError(code, message);
}

/** Reads the 8-byte little-endian header length, refusing lengths the reference refuses. */
export function headerLengthOf(prefix: Uint8Array, fileSize: number): number {
  if (fileSize < 8 || prefix.length < 8) {
    bad(
      'HEADER_TOO_SMALL',
      `safetensors file is ${fileSize} bytes, shorter than the 8-byte header length; the file is truncated or not safetensors`,
    );
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const len = view.getBigUint64(0, true);
  if (len > BigInt(MAX_HEADER_BYTES)) {
    bad(
      'HEADER_TOO_LARGE',
      `safetensors header claims ${len} bytes, over the ${MAX_HEADER_BYTES}-byte limit; the file is corrupt or not safetensors`,
    );
  }
  const n = Number(len);
  if (8 + n > fileSize) {
    bad(
      'HEADER_PAST_EOF',
      `safetensors header claims ${n} bytes but the file has only ${fileSize - 8} after the length prefix; the file is truncated`,
    );
  }
  return n;
}

function describe(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Map) return 'an object';
  if (v instanceof JsonNumber) return `the number ${v.text.slice(0, 24)}`;
  return typeof v === 'string' ? `the string ${JSON.stringify(v.slice(0, 24))}` : String(v);
}

function quoteName(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
}

function parseMetadata(v: JsonValue): Record<string, string> | null {
  if (v === null) return null;
  if (!(v instanceof Map))
    bad('BAD_METADATA', `safetensors __metadata__ is ${describe(v)}, not an object of strings; the file is corrupt`);
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, val] of v) {
    if (typeof val !== 'string') {
      bad(
        'BAD_METADATA',
        `safetensors __metadata__[${quoteName(k)}] is ${describe(val)}, not a string; the file is corrupt`,
      );
    }
    out[k] = val;
  }
  return out;
}

function parseTensorEntry(name: string, v: JsonValue): TensorInfo {
  const where = `tensor ${quoteName(name)}`;
  if (!(v instanceof Map))
    bad(
      'BAD_TENSOR_ENTRY',
      `safetensors ${where} is ${describe(v)}, not {dtype, shape, data_offsets}; the file is corrupt`,
    );
  const dtype = v.get('dtype');
  const shape = v.get('shape');
  const offsets = v.get('data_offsets');
  if (dtype === undefined || shape === undefined || offsets === undefined) {
    const missing = ['dtype', 'shape', 'data_offsets'].filter((k) => !v.has(k)).join(', ');
    bad('BAD_TENSOR_ENTRY', `safetensors ${where} lacks ${missing}; the file is corrupt`);
  }
  if (typeof dtype !== 'string')
    bad('BAD_DTYPE', `safetensors ${where} has dtype ${describe(dtype)}, not a dtype name; the file is corrupt`);
  if (!isDType(dtype)) {
    if (OTHER_SAFETENSORS_DTYPES.includes(dtype)) {
      bad(
        'UNSUPPORTED_DTYPE',
        `safetensors ${where} has dtype ${dtype}, which cliphub does not handle; convert it to F32/F16/BF16 or an integer type first`,
      );
    }
    bad(
      'BAD_DTYPE',
      `safetensors ${where} has unknown dtype ${JSON.stringify(dtype.slice(0, 24))}; the file is corrupt`,
    );
  }
  if (!Array.isArray(shape))
    bad('BAD_SHAPE', `safetensors ${where} has shape ${describe(shape)}, not an array; the file is corrupt`);
  const dims: number[] = [];
  // numel in BigInt: a product of safe integers can exceed 2^53 and must not round.
  let numel = 1n;
  for (const d of shape) {
    const n = d instanceof JsonNumber ? d.asIndex() : null;
    if (n === null)
      bad(
        'BAD_SHAPE',
        `safetensors ${where} has shape entry ${describe(d)}, not a non-negative integer; the file is corrupt`,
      );
    dims.push(n);
    numel *= BigInt(n);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    bad(
      'BAD_OFFSETS',
      `safetensors ${where} has data_offsets ${describe(offsets)}, not [begin, end]; the file is corrupt`,
    );
  }
  const [b, e] = offsets.map((o) => (o instanceof JsonNumber ? o.asIndex() : null));
  if (b === null || e === null || b === undefined || e === undefined) {
    bad(
      'BAD_OFFSETS',
      `safetensors ${where} has data_offsets that are not non-negative integers below 2^53; the file is corrupt`,
    );
  }
  if (e < b)
    bad(
      'BAD_OFFSETS',
      `safetensors ${where} has data_offsets [${b}, ${e}] that end before they begin; the file is corrupt`,
    );
  const expected = numel * BigInt(DTYPE_BYTES[dtype]);
  if (BigInt(e - b) !== expected) {
    bad(
      'BYTE_LENGTH_MISMATCH',
      `safetensors ${where} spans ${e - b} bytes but ${dtype} [${dims.join(', ')}] needs ${expected}; the file is corrupt`,
    );
  }
  return { dtype, shape: dims, dataOffsets: [b, e] };
}

/**
 * Validates a safetensors header as strictly as the reference Rust crate (plus duplicate keys, which it
 * lets through). `bytes` starts at file offset 0 and holds at least the 8-byte prefix and the JSON;
 * `fileSize` is the whole file's size, against which the data offsets are checked.
 */
export function parseSafetensorsHeader(bytes: Uint8Array, fileSize: number): SafetensorsHeader {
  const headerLength = headerLengthOf(bytes, fileSize);
  const dataStart = 8 + headerLength;
  if (bytes.length < dataStart) {
    bad(
      'HEADER_INCOMPLETE',
      `got ${bytes.length} header bytes but the header needs ${dataStart}; pass the file's first ${dataStart} bytes`,
    );
  }
  let text: string;
  try {
    text = utf8.decode(bytes.subarray(8, dataStart));
  } catch {
    bad('INVALID_UTF8', 'safetensors header is not valid UTF-8; the file is corrupt or not safetensors');
  }
  // Leading JSON whitespace is allowed: the reference declares but does not enforce a '{' start.
  const root = parseStrictJson(text);
  if (!(root instanceof Map))
    bad('HEADER_NOT_OBJECT', `safetensors header is ${describe(root)}, not a JSON object; the file is corrupt`);

  let metadata: Record<string, string> | null = null;
  const entries: [string, TensorInfo][] = [];
  for (const [key, value] of root) {
    if (key === '__metadata__') metadata = parseMetadata(value);
    else entries.push([key, parseTensorEntry(key, value)]);
  }
  // The reference sorts by (begin, end) and then demands a gapless tiling starting at 0.
  entries.sort(([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  const dataBytes = fileSize - dataStart;
  let cursor = 0;
  for (const [name, info] of entries) {
    const [b, e] = info.dataOffsets;
    if (b > cursor) {
      bad(
        'OFFSET_GAP',
        `safetensors tensor ${quoteName(name)} starts at data byte ${b}, leaving a gap after byte ${cursor}; the file is corrupt`,
      );
    }
    if (b < cursor) {
      bad(
        'OFFSET_OVERLAP',
        `safetensors tensor ${quoteName(name)} starts at data byte ${b}, overlapping the previous tensor, which ends at ${cursor}; the file is corrupt`,
      );
    }
    if (e > dataBytes) {
      bad(
        'TRUNCATED',
        `safetensors tensor ${quoteName(name)} ends at data byte ${e} but the file holds only ${dataBytes} data bytes; the file is truncated, download it again`,
      );
    }
    cursor = e;
  }
  if (cursor !== dataBytes) {
    bad(
      'TRAILING_BYTES',
      `safetensors file has ${dataBytes - cursor} bytes after its last tensor (ends at data byte ${cursor}); the file is corrupt or was appended to`,
    );
  }
  return { tensors: new Map(entries), metadata, headerLength, dataStart, fileSize };
}
