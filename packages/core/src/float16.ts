// The one fp16/bf16 codec of the tree (safetensors casts, ONNX fp16 export, validation of GPU outputs).
// Rounding is to nearest, ties to even, as torch's .half()/.bfloat16() do. NaNs keep their sign and leading
// payload bits and get the quiet bit (the IEEE hardware rule), since torch's own NaN patterns vary by code path.

let halfBitsTable: Uint32Array | null = null;

/** f16 bits -> f32 bits for all 65,536 halves (exact; built once, 256 KiB). */
export function float16BitsTable(): Uint32Array {
  if (halfBitsTable) return halfBitsTable;
  const table = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    let mant = h & 0x3ff;
    if (exp === 0x1f) {
      table[h] = (sign | 0x7f800000 | (mant << 13) | (mant ? 0x400000 : 0)) >>> 0;
    } else if (exp !== 0) {
      table[h] = (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
    } else if (mant === 0) {
      table[h] = sign >>> 0;
    } else {
      // A subnormal half is a normal f32: shift the mantissa up until its leading bit is the implicit one.
      let e = 113;
      while ((mant & 0x400) === 0) {
        mant <<= 1;
        e--;
      }
      table[h] = (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
    }
  }
  halfBitsTable = table;
  return table;
}

/** f32 bits -> f16 bits. */
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

/** f32 bits -> bf16 bits. */
export function f32BitsToBf16(x: number): number {
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x >>> 0) + 0x7fff + ((x >>> 16) & 1)) >>> 16;
}

/** A Float32Array as IEEE half bits. */
export function float32ToFloat16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) out[i] = f32BitsToF16(bits[i] as number);
  return out;
}

/** IEEE half bits as a Float32Array (exact). */
export function float16ToFloat32(halves: Uint16Array): Float32Array {
  const table = float16BitsTable();
  const out = new Uint32Array(halves.length);
  for (let i = 0; i < halves.length; i++) out[i] = table[halves[i] as number] as number;
  return new Float32Array(out.buffer);
}
