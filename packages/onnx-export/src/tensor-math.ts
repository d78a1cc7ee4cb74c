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
 * values[i] · scale[⌊i / per⌋] as float32: each run of `per` values (a conv's output channel, a row) times
 * its own factor. A plain loop into one preallocated array: `Float32Array.from(values, fn)` went through
 * the iterator protocol per element and made FastViT's export several times slower.
 */
export function scaleBlocks(values: Float32Array, scale: ArrayLike<number>, per: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let block = 0, i = 0; i < values.length; block++) {
    const factor = scale[block] as number;
    const end = Math.min(i + per, values.length);
    for (; i < end; i++) out[i] = (values[i] as number) * factor;
  }
  return out;
}
