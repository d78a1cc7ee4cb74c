import { DTYPE_BYTES, float16ToFloat32, type DType } from '@cliphub/core';

// fp16 bits come from @cliphub/core's codec, the one the safetensors casts use.
export { float32ToFloat16 } from '@cliphub/core';

/** Decodes little-endian tensor bytes of a float dtype into a fresh Float32Array. */
export function toFloat32(bytes: Uint8Array, dtype: DType): Float32Array {
  const n = bytes.byteLength / dtypeSize(dtype);
  // typed-array views need aligned offsets; safetensors readers usually hand out fresh aligned buffers
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  switch (dtype) {
    case 'F32':
      return new Float32Array(aligned.buffer, aligned.byteOffset, n);
    case 'F64':
      return Float32Array.from(new Float64Array(aligned.buffer, aligned.byteOffset, n));
    case 'F16':
      return float16ToFloat32(new Uint16Array(aligned.buffer, aligned.byteOffset, n));
    case 'BF16': {
      const h = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = (h[i] as number) << 16;
      return new Float32Array(out.buffer);
    }
    default:
      throw new Error(`internal: ${dtype} is not a float dtype`);
  }
}

export function dtypeSize(dtype: DType): number {
  return DTYPE_BYTES[dtype];
}

export function asBytes(a: Float32Array | Uint16Array | Int8Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Multiplies a piece of a row-major [rows, cols] matrix, starting at element `first`, by per-channel
 * factors: channel = row (channelAxis 0) or column (1).
 */
export function scaleInPlace(
  piece: Float32Array,
  first: number,
  cols: number,
  channelAxis: 0 | 1,
  factors: ArrayLike<number>,
): void {
  const n = piece.length;
  if (channelAxis === 0) {
    for (let k = 0; k < n;) {
      const row = Math.floor((first + k) / cols);
      const end = Math.min(n, (row + 1) * cols - first);
      const f = factors[row] as number;
      for (; k < end; k++) piece[k] = (piece[k] as number) * f;
    }
    return;
  }
  let col = first % cols;
  for (let k = 0; k < n; k++) {
    piece[k] = (piece[k] as number) * (factors[col] as number);
    if (++col === cols) col = 0;
  }
}

/**
 * values[i] · scale[⌊i / per⌋] as float32, in a new array: each run of `per` values (a conv's output channel,
 * a row) times its own factor (a plain loop: `Float32Array.from(values, fn)` went through the iterator
 * protocol per element and made FastViT's export several times slower).
 */
export function scaleBlocks(values: Float32Array, scale: ArrayLike<number>, per: number): Float32Array {
  const out = new Float32Array(values);
  scaleInPlace(out, 0, per, 0, scale);
  return out;
}
