import { DTYPE_BYTES, isFloatDType, type DType, type FloatDType } from './dtype.js';
import { SafetensorsError } from './errors.js';

// NaNs: torch's own bit patterns differ between its code paths (e.g. bf16 NaN is 0xFFFF vectorized but
// 0x7FC0 scalar), so we follow the IEEE hardware rule instead: keep the sign and the leading payload
// bits, and set the quiet bit. Every non-NaN value is rounded to nearest, ties to even, as torch does.

let f16Table: Uint32Array | null = null;

/** f16 bits -> f32 bits for all 65536 halves (exact; built once, 256 KiB). */
function halfToFloatTable(): Uint32Array {
  if (f16Table) return f16Table;
  const t = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    let mant = h & 0x3ff;
    if (exp === 0x1f) {
      t[h] = (sign | 0x7f800000 | (mant << 13) | (mant ? 0x400000 : 0)) >>> 0;
    } else if (exp !== 0) {
      t[h] = (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
    } else if (mant === 0) {
      t[h] = sign >>> 0;
    } else {
      // Subnormal half: normalize into an f32 normal.
      let e = 113;
      while ((mant & 0x400) === 0) {
        mant <<= 1;
        e--;
      }
      t[h] = (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
    }
  }
  f16Table = t;
  return t;
}

/** f32 bits -> f16 bits, round to nearest even. */
export function f32BitsToF16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const a = x & 0x7fffffff;
  if (a >= 0x47800000) {
    // >= 65536: infinity, NaN, or a finite value past the largest half.
    if (a > 0x7f800000) return sign | 0x7e00 | ((a >>> 13) & 0x3ff);
    return sign | 0x7c00;
  }
  if (a >= 0x38800000) {
    // Normal half: rebias the exponent, round the 13 dropped bits; a carry rolls into the exponent (to inf).
    const r = a - 0x38000000;
    return sign | ((r + 0xfff + ((r >>> 13) & 1)) >>> 13);
  }
  if (a <= 0x33000000) return sign; // <= 2^-25: rounds to zero (2^-25 itself is a tie to even zero).
  const e = a >>> 23;
  const m = (a & 0x7fffff) | 0x800000;
  const shift = 126 - e; // 14..24
  const q = m >>> shift;
  const rem = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return sign | (rem > half || (rem === half && (q & 1) === 1) ? q + 1 : q);
}

/** f32 bits -> bf16 bits, round to nearest even. */
export function f32BitsToBf16(x: number): number {
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x >>> 0) + 0x7fff + ((x >>> 16) & 1)) >>> 16;
}

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
    const t = halfToFloatTable();
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
