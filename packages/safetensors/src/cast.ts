import { f32BitsToBf16, f32BitsToF16, float16BitsTable } from '@cliphub/core';
import { DTYPE_BYTES, isFloatDType, type DType, type FloatDType } from './dtype.js';
import { SafetensorsError } from './errors.js';

// The bit-level codec is @cliphub/core's (one home for it); re-exported for this package's API and tests.
export { f32BitsToBf16, f32BitsToF16 } from '@cliphub/core';

/** Reads `src` as whole elements of `elem` bytes through an aligned view (copying only when misaligned). */
function aligned(src: Uint8Array, elem: number): ArrayBuffer {
  if (src.byteOffset % elem === 0 && src.buffer instanceof ArrayBuffer) return src.buffer;
  return src.slice().buffer;
}

function view<T>(src: Uint8Array, elem: number, make: (b: ArrayBuffer, off: number, len: number) => T): T {
  const buf = aligned(src, elem);
  const off = buf === src.buffer ? src.byteOffset : 0;
  return make(buf, off, src.length / elem);
}

/** F64/F16/BF16 -> f32 bits (exact for f16/bf16; RNE for f64). */
function toF32(src: Uint8Array, from: Exclude<FloatDType, 'F32'>): Uint32Array {
  const n = src.length / DTYPE_BYTES[from];
  const out = new Uint32Array(n);
  if (from === 'F16') {
    const s = view(src, 2, (b, o, l) => new Uint16Array(b, o, l));
    const t = float16BitsTable();
    for (let i = 0; i < n; i++) out[i] = t[s[i]!]!;
  } else if (from === 'BF16') {
    const s = view(src, 2, (b, o, l) => new Uint16Array(b, o, l));
    for (let i = 0; i < n; i++) out[i] = s[i]! << 16;
  } else {
    const s = view(src, 8, (b, o, l) => new Float64Array(b, o, l));
    const words = view(src, 8, (b, o, l) => new Uint32Array(b, o, l * 2));
    const f = new Float32Array(out.buffer);
    for (let i = 0; i < n; i++) {
      const v = s[i]!;
      if (v === v) {
        f[i] = v; // Float32Array stores round to nearest even.
      } else {
        const hi = words[2 * i + 1]!;
        out[i] = ((hi & 0x80000000) | 0x7fc00000 | ((hi & 0xfffff) << 3) | (words[2 * i]! >>> 29)) >>> 0;
      }
    }
  }
  return out;
}

function fromF32(bits: Uint32Array, to: FloatDType): Uint8Array {
  const n = bits.length;
  if (to === 'F32') return new Uint8Array(bits.buffer, bits.byteOffset, n * 4);
  if (to === 'F64') {
    const out = new Float64Array(n);
    const words = new Uint32Array(out.buffer);
    const f = new Float32Array(bits.buffer, bits.byteOffset, n);
    for (let i = 0; i < n; i++) {
      const v = f[i]!;
      if (v === v) {
        out[i] = v;
      } else {
        const x = bits[i]!;
        words[2 * i + 1] = ((x & 0x80000000) | 0x7ff80000 | ((x & 0x7fffff) >>> 3)) >>> 0;
        words[2 * i] = (x << 29) >>> 0;
      }
    }
    return new Uint8Array(out.buffer);
  }
  const out = new Uint16Array(n);
  if (to === 'F16') for (let i = 0; i < n; i++) out[i] = f32BitsToF16(bits[i]!);
  else for (let i = 0; i < n; i++) out[i] = f32BitsToBf16(bits[i]!);
  return new Uint8Array(out.buffer);
}

/**
 * Converts little-endian floats between F64, F32, F16 and BF16 (round to nearest, ties to even).
 * F64 -> F16/BF16 rounds through F32, exactly as torch's `.to()` does. Returns a fresh buffer, or `src`
 * itself when `from === to`.
 */
export function castFloats(src: Uint8Array, from: DType, to: DType): Uint8Array {
  if (!isFloatDType(from) || !isFloatDType(to)) {
    throw new SafetensorsError(
      'BAD_CAST',
      `cannot cast ${from} to ${to}: only F64, F32, F16 and BF16 convert between each other`,
    );
  }
  if (src.length % DTYPE_BYTES[from] !== 0) {
    throw new SafetensorsError(
      'BAD_CAST',
      `cannot cast ${src.length} bytes as ${from}: not a whole number of ${DTYPE_BYTES[from]}-byte elements`,
    );
  }
  if (from === to) return src;
  // F32 input is already in the pivot format: view it (no copy unless misaligned).
  if (from === 'F32')
    return fromF32(
      view(src, 4, (b, o, l) => new Uint32Array(b, o, l)),
      to,
    );
  return fromF32(toF32(src, from), to);
}
