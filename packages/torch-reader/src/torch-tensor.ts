import { dtypeFromTorchName, dtypeSize } from './dtypes.js';
import { TorchReaderError } from './errors.js';
import type { PyTensor } from './pyvalue.js';
import type { ByteSource } from './byte-source.js';
import type { DType, TensorSource } from './types.js';

export interface TorchTensor extends TensorSource {
  strides: number[];
  storageOffset: number;
  storageKey: string;
  byteLength: number;
  contiguous: boolean;
  /** Where the bytes lie in the file when they can be copied verbatim (contiguous, little-endian); else null. */
  fileSpan: { offset: number; length: number } | null;
  read(): Promise<Uint8Array>;
  /** Fills `target` with bytes [offset, offset + target.length) of the tensor; only where fileSpan is set, else null. */
  readInto: ((offset: number, target: Uint8Array) => Promise<void>) | null;
}

/** Where a storage's bytes lie in the file. */
export interface StorageLocation {
  /** File offset of the storage's element 0. */
  fileOffset: number;
  /** Bytes of storage available from fileOffset. */
  byteLength: number;
  /** Storage bytes are big-endian and must be swapped to little-endian on read. */
  swap: boolean;
}

/** Chunk size for streaming contiguous tensors: big enough for cp-like throughput, small for RSS. */
export const CHUNK_BYTES = 8 * 1024 * 1024;

function isContiguous(shape: number[], strides: number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const n = shape[i] as number;
    if (n === 0) return true;
    if (n !== 1 && strides[i] !== expected) return false;
    expected *= n;
  }
  return true;
}

/** The storage index of a view's last element, or null when it is not a safe integer. */
function lastElement(shape: number[], strides: number[], storageOffset: number): number | null {
  let last = storageOffset;
  for (let i = 0; i < shape.length; i++) {
    last += ((shape[i] as number) - 1) * (strides[i] as number);
    if (!Number.isSafeInteger(last)) return null;
  }
  return last;
}

/**
 * Whether a (non-empty) view may address one storage element twice. Dimensions of size 1 do not
 * count; the rest, sorted by stride, must each step past everything the smaller ones reach. This is
 * torch's non-overlapping test; a view it cannot prove disjoint (stride 0, expand(), as_strided
 * overlaps, exotic interleavings) is treated as overlapping.
 */
export function overlaps(shape: number[], strides: number[]): boolean {
  const dims: Array<[number, number]> = [];
  for (let i = 0; i < shape.length; i++)
    if ((shape[i] as number) > 1) dims.push([strides[i] as number, shape[i] as number]);
  dims.sort((a, b) => a[0] - b[0]);
  let reach = 0; // the largest index offset the smaller dimensions reach
  for (const [stride, size] of dims) {
    if (stride <= reach) return true;
    reach += stride * (size - 1);
  }
  return false;
}

/** Reverses each `size`-byte element in place (big-endian storages). */
export function swapBytes(b: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= b.length; i += size) {
    for (let l = i, r = i + size - 1; l < r; l++, r--) {
      const t = b[l] as number;
      b[l] = b[r] as number;
      b[r] = t;
    }
  }
}

/**
 * Copies a strided view out of its storage span into row-major order, `chunkElems` elements at a time,
 * so only the span and one output chunk are in memory.
 */
export function* gather(
  span: Uint8Array,
  shape: number[],
  strides: number[],
  itemsize: number,
  numel: number,
  chunkElems: number,
): Generator<Uint8Array> {
  // Work in 16/32-bit words so each element is one or two typed-array moves, not per-byte copies.
  const word = itemsize % 4 === 0 ? 4 : itemsize % 2 === 0 ? 2 : 1;
  const per = itemsize / word;
  const src8 = span.byteOffset % word === 0 ? span : span.slice();
  const view = (b: Uint8Array): Uint8Array | Uint16Array | Uint32Array =>
    word === 4
      ? new Uint32Array(b.buffer, b.byteOffset, b.length / 4)
      : word === 2
        ? new Uint16Array(b.buffer, b.byteOffset, b.length / 2)
        : b;
  const src = view(src8);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let s = 0;
  for (let k0 = 0; k0 < numel; k0 += chunkElems) {
    const n = Math.min(chunkElems, numel - k0);
    const out = new Uint8Array(n * itemsize);
    const dst = view(out);
    for (let k = 0; k < n; k++) {
      const base = s * per;
      const o = k * per;
      for (let j = 0; j < per; j++) dst[o + j] = src[base + j] as number;
      for (let d = nd - 1; d >= 0; d--) {
        idx[d] = (idx[d] as number) + 1;
        s += strides[d] as number;
        if ((idx[d] as number) < (shape[d] as number)) break;
        s -= (idx[d] as number) * (strides[d] as number);
        idx[d] = 0;
      }
    }
    yield out;
  }
}

/**
 * A tensor of a checkpoint as a streaming source. Contiguous tensors stream straight from the file in
 * CHUNK_BYTES pieces; strided views read their storage span once and are copied into row-major order.
 */
export function makeTorchTensor(name: string, t: PyTensor, loc: StorageLocation, file: ByteSource): TorchTensor {
  const typeName = t.dtypeName ?? t.storage.storageType;
  const dtype: DType | null = dtypeFromTorchName(typeName);
  const fail = (what: string): never => {
    throw new TorchReaderError('BAD_TENSOR', `${file.path}: tensor ${name} ${what}`);
  };
  if (!dtype)
    fail(
      `has dtype ${typeName}, which cliphub cannot convert (supported: f64, f32, f16, bf16, i64, i32, i16, i8, u8, bool)`,
    );
  const itemsize = dtypeSize(dtype as DType);
  const { shape, strides, storageOffset } = t;
  let numel = 1;
  for (const n of shape) {
    if (!Number.isSafeInteger(n) || n < 0) fail(`has an invalid size ${JSON.stringify(shape)}`);
    numel *= n;
  }
  if (!Number.isSafeInteger(numel * itemsize)) fail(`is too large (${JSON.stringify(shape)})`);
  for (const s of strides)
    if (!Number.isSafeInteger(s) || s < 0) fail(`has an invalid stride ${JSON.stringify(strides)}`);
  if (!Number.isSafeInteger(storageOffset) || storageOffset < 0) fail(`has an invalid storage offset ${storageOffset}`);
  const last = numel === 0 ? storageOffset : lastElement(shape, strides, storageOffset);
  if (last === null) fail(`is too large (size ${JSON.stringify(shape)}, stride ${JSON.stringify(strides)})`);
  const spanBytes = numel === 0 ? 0 : ((last as number) - storageOffset + 1) * itemsize;
  if (numel > 0 && !Number.isSafeInteger(((last as number) + 1) * itemsize))
    fail(`is too large (size ${JSON.stringify(shape)}, stride ${JSON.stringify(strides)})`);
  if (numel > 0 && ((last as number) + 1) * itemsize > loc.byteLength) {
    throw new TorchReaderError(
      'TRUNCATED',
      `${file.path}: tensor ${name} needs ${((last as number) + 1) * itemsize} bytes of storage ${t.storage.key} but it holds ${loc.byteLength}; the file is truncated or corrupt`,
    );
  }
  if (numel > 0 && overlaps(shape, strides)) {
    throw new TorchReaderError(
      'OVERLAPPING_VIEW',
      `${file.path}: tensor ${name} (size ${JSON.stringify(shape)}, stride ${JSON.stringify(strides)}) reads some storage elements more than once (a stride-0 or overlapping view, as expand() makes): written out it would take ${numel * itemsize} bytes from ${spanBytes}; save tensor.contiguous() instead if it is meant`,
    );
  }
  const contiguous = isContiguous(shape, strides);
  const byteLength = numel * itemsize;
  const start = loc.fileOffset + storageOffset * itemsize;

  async function* chunks(): AsyncGenerator<Uint8Array> {
    if (byteLength === 0) return;
    if (contiguous) {
      for (let off = 0; off < byteLength; off += CHUNK_BYTES) {
        const b = await file.read(start + off, Math.min(CHUNK_BYTES, byteLength - off), `tensor ${name}`);
        if (loc.swap) swapBytes(b, itemsize);
        yield b;
      }
      return;
    }
    const span = await file.read(start, spanBytes, `tensor ${name}`);
    for (const out of gather(span, shape, strides, itemsize, numel, CHUNK_BYTES / itemsize)) {
      if (loc.swap) swapBytes(out, itemsize);
      yield out;
    }
  }

  return {
    name,
    dtype: dtype as DType,
    shape: [...shape],
    strides: [...strides],
    storageOffset,
    storageKey: t.storage.key,
    byteLength,
    contiguous,
    fileSpan: contiguous && !loc.swap ? { offset: start, length: byteLength } : null,
    readInto:
      contiguous && !loc.swap
        ? async (offset, target) => {
            if (!Number.isSafeInteger(offset) || offset < 0 || offset + target.byteLength > byteLength) {
              throw new TorchReaderError(
                'OUT_OF_RANGE',
                `${file.path}: bytes [${offset}, ${offset + target.byteLength}) are outside tensor ${name}, which has ${byteLength}`,
              );
            }
            if (file.readInto) await file.readInto(start + offset, target, `tensor ${name}`);
            else target.set(await file.read(start + offset, target.byteLength, `tensor ${name}`));
          }
        : null,
    chunks,
    async read() {
      const out = new Uint8Array(byteLength);
      let o = 0;
      for await (const c of chunks()) {
        out.set(c, o);
        o += c.length;
      }
      return out;
    },
  };
}
