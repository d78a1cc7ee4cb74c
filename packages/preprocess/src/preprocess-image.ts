import { decodeImage, toRgb, type DecodedImage } from './decode.js';
import { PreprocessError } from './errors.js';
import { resample, type Interpolation, type RawImage } from './resample.js';

/** open_clip's preprocess_cfg, as found in open_clip_config.json. */
export interface PreprocessCfg {
  size: number | [number, number];
  mean: readonly [number, number, number] | readonly number[];
  std: readonly [number, number, number] | readonly number[];
  interpolation: Interpolation;
  resize_mode: 'shortest' | 'longest' | 'squash';
  fill_color?: number;
}

/** Python's round(): halves go to the even neighbour. */
function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function checkCfg(cfg: PreprocessCfg): [number, number] {
  const [h, w] = typeof cfg.size === 'number' ? [cfg.size, cfg.size] : cfg.size;
  const bad = (what: string): never => {
    throw new PreprocessError('BAD_CONFIG', `preprocess config: ${what}; fix the model's preprocess_cfg`);
  };
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) bad(`size ${JSON.stringify(cfg.size)} is not a positive integer or [h, w]`);
  if (cfg.mean.length !== 3 || cfg.std.length !== 3 || cfg.std.some((s) => !(s > 0))) bad('mean and std need 3 values each, std > 0');
  if (!['bicubic', 'bilinear'].includes(cfg.interpolation)) bad(`interpolation ${JSON.stringify(cfg.interpolation)} is not bicubic or bilinear`);
  if (!['shortest', 'longest', 'squash'].includes(cfg.resize_mode)) bad(`resize_mode ${JSON.stringify(cfg.resize_mode)} is not shortest, longest or squash`);
  return [h, w];
}

/** Target size of the resize step for each mode, with torchvision's and timm's rounding. */
function resizeTarget(img: RawImage, [th, tw]: [number, number], mode: PreprocessCfg['resize_mode']): [number, number] {
  const { width: w, height: h } = img;
  if (mode === 'squash') return [th, tw];
  if (mode === 'shortest' && th === tw) {
    // torchvision Resize(int): shortest side to size, the other truncated
    const short = Math.min(w, h);
    const long = Math.trunc((th * Math.max(w, h)) / short);
    return w <= h ? [long, th] : [th, long];
  }
  // open_clip's ResizeKeepRatio: longest=1 for 'longest', 0 for 'shortest' with a non-square size
  const rh = h / th;
  const rw = w / tw;
  const ratio = mode === 'longest' ? Math.max(rh, rw) : Math.min(rh, rw);
  return [pyRound(h / ratio), pyRound(w / ratio)];
}

/** open_clip's center_crop_or_pad: pad (fill) to at least the target, then center crop. */
function cropOrPad(img: RawImage, th: number, tw: number, fill: number): RawImage {
  let { width: w, height: h } = img;
  let src = img;
  if (tw > w || th > h) {
    const left = tw > w ? Math.floor((tw - w) / 2) : 0;
    const top = th > h ? Math.floor((th - h) / 2) : 0;
    const pw = Math.max(w, tw);
    const ph = Math.max(h, th);
    const data = new Uint8Array(pw * ph * 3).fill(fill);
    for (let y = 0; y < h; y++) data.set(img.data.subarray(y * w * 3, (y + 1) * w * 3), ((y + top) * pw + left) * 3);
    src = { data, width: pw, height: ph, channels: 3 };
    w = pw;
    h = ph;
    if (w === tw && h === th) return src;
  }
  const top = Math.trunc(pyRound((h - th) / 2));
  const left = Math.trunc(pyRound((w - tw) / 2));
  const out = new Uint8Array(tw * th * 3);
  for (let y = 0; y < th; y++) out.set(src.data.subarray(((y + top) * w + left) * 3, ((y + top) * w + left + tw) * 3), y * tw * 3);
  return { data: out, width: tw, height: th, channels: 3 };
}

/** Resize, crop or pad, RGB conversion: open_clip's eval transform up to ToTensor, on 8-bit pixels. */
export function transformPixels(decoded: DecodedImage, cfg: PreprocessCfg): RawImage {
  const [th, tw] = checkCfg(cfg);
  const [rh, rw] = resizeTarget(decoded, [th, tw], cfg.resize_mode);
  const resized = resample(decoded, rw, rh, cfg.interpolation);
  const rgb = toRgb({ ...resized, mode: decoded.mode });
  return cfg.resize_mode === 'squash' ? rgb : cropOrPad(rgb, th, tw, cfg.fill_color ?? 0);
}

/** ToTensor + Normalize: float32 [3, H, W], (v / 255 - mean) / std in float32 like torch. */
export function normalizeToChw(img: RawImage, cfg: PreprocessCfg, out = new Float32Array(3 * img.width * img.height), offset = 0): Float32Array {
  const plane = img.width * img.height;
  const f = Math.fround;
  for (let c = 0; c < 3; c++) {
    const mean = f(cfg.mean[c] as number);
    const std = f(cfg.std[c] as number);
    for (let p = 0; p < plane; p++) out[offset + c * plane + p] = f(f(f((img.data[p * 3 + c] as number) / 255) - mean) / std);
  }
  return out;
}

/** One image file or buffer to open_clip's pixel_values, float32 [3, H, W]. */
export async function preprocessImage(input: string | Buffer, cfg: PreprocessCfg): Promise<Float32Array> {
  checkCfg(cfg);
  return normalizeToChw(transformPixels(await decodeImage(input), cfg), cfg);
}
