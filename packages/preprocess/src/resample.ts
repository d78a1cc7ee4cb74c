/** 8-bit interleaved pixels: `channels` values per pixel, row-major. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

export type Interpolation = 'bicubic' | 'bilinear';

// Pillow's 8-bit resampling keeps coefficients as fixed point with this many fractional bits.
const PRECISION_BITS = 32 - 8 - 2;

const FILTERS: Record<Interpolation, { support: number; fn: (x: number) => number }> = {
  bilinear: { support: 1, fn: (x) => ((x < 0 ? -x : x) < 1 ? 1 - Math.abs(x) : 0) },
  bicubic: {
    support: 2,
    fn: (x) => {
      const a = -0.5;
      x = Math.abs(x);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
};

interface Kernels {
  bounds: Int32Array; // [start, count] per output index
  coeffs: Int32Array; // `stride` fixed-point weights per output index
  stride: number;
}

/** Pillow's antialiased kernel for one axis: the filter widens by the downscale factor. */
function kernels(inSize: number, outSize: number, interp: Interpolation): Kernels {
  const { support: base, fn } = FILTERS[interp];
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = base * filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const coeffs = new Int32Array(outSize * stride);
  const k = new Float64Array(stride);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const count = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let x = 0; x < count; x++) {
      const w = fn((x + xmin - center + 0.5) / filterScale);
      k[x] = w;
      total += w;
    }
    for (let x = 0; x < count; x++) {
      const w = total !== 0 ? (k[x] as number) / total : 0;
      // round half away from zero, as Pillow's normalize_coeffs_8bpc
      coeffs[xx * stride + x] = Math.trunc(w * (1 << PRECISION_BITS) + (w < 0 ? -0.5 : 0.5));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = count;
  }
  return { bounds, coeffs, stride };
}

const clip8 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

function pass(src: RawImage, outSize: number, interp: Interpolation, horizontal: boolean): RawImage {
  const { width, height, channels: c, data } = src;
  const inSize = horizontal ? width : height;
  const { bounds, coeffs, stride } = kernels(inSize, outSize, interp);
  const outW = horizontal ? outSize : width;
  const outH = horizontal ? height : outSize;
  const out = new Uint8Array(outW * outH * c);
  const half = 1 << (PRECISION_BITS - 1);
  // Step between neighbouring samples along the resized axis.
  const step = horizontal ? c : width * c;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const i = horizontal ? x : y;
      const start = bounds[i * 2] as number;
      const count = bounds[i * 2 + 1] as number;
      const base = horizontal ? (y * width + start) * c : (start * width + x) * c;
      const kb = i * stride;
      for (let ch = 0; ch < c; ch++) {
        let acc = half;
        let p = base + ch;
        for (let t = 0; t < count; t++, p += step) acc += (data[p] as number) * (coeffs[kb + t] as number);
        // acc stays within 2^31 by Pillow's design, so a 32-bit shift matches its integer math
        out[(y * outW + x) * c + ch] = clip8(acc >> PRECISION_BITS);
      }
    }
  }
  return { data: out, width: outW, height: outH, channels: c };
}

/** Pillow's `Image.resize` with BICUBIC or BILINEAR on 8-bit data: horizontal then vertical, rounded per pass. */
export function resample(img: RawImage, width: number, height: number, interp: Interpolation): RawImage {
  let out = img;
  if (width !== img.width) out = pass(out, width, interp, true);
  if (height !== img.height) out = pass(out, height, interp, false);
  return out;
}
