import type { DType } from './types.js';

/** Float32 -> IEEE half bits, round-to-nearest-even, overflow to inf (what torch's .half() does). */
export function float32ToFloat16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i] as number;
    const sign = (b >>> 16) & 0x8000;
    const e8 = (b >>> 23) & 0xff;
    let m = b & 0x7fffff;
    if (e8 === 0xff) {
      out[i] = sign | 0x7c00 | (m ? 0x200 : 0);
      continue;
    }
    const e = e8 - 112; // rebias 127 -> 15
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      m |= 0x800000;
      const shift = 14 - e;
      let h = m >>> shift;
      const rem = m & ((1 << shift) - 1);
      const half = 1 << (shift - 1);
      if (rem > half || (rem === half && h & 1)) h++;
      out[i] = sign | h;
    } else {
      let h = (e << 10) | (m >>> 13);
      const rem = m & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry rolls into the exponent, up to inf
      out[i] = sign | h;
    }
  }
  return out;
}

let halfTable: Float32Array | null = null;
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) t[h] = s * m * 2 ** -24;
    else if (e === 31) t[h] = m ? NaN : s * Infinity;
    else t[h] = s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return (halfTable = t);
}

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
    case 'F16': {
      const t = halfToFloatTable();
      const h = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = t[h[i] as number] as number;
      return out;
    }
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
  return { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 }[dtype];
}

export function asBytes(a: Float32Array | Uint16Array | Int8Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
