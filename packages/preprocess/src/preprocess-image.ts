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
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1)
    bad(`size ${JSON.stringify(cfg.size)} is not a positive integer or [h, w]`);
  if (cfg.mean.length !== 3 || cfg.std.length !== 3 || cfg.std.some((s) => !(s > 0)))
    bad('mean and std need 3 values each, std > 0');
  if (!['bicubic', 'bilinear'].includes(cfg.interpolation))
    bad(`interpolation ${JSON.stringify(cfg.interpolation)} is not bicubic or bilinear`);
  if (!['shortest', 'longest', 'squash'].includes(cfg.resize_mode))
    bad(`resize_mode ${JSON.stringify(cfg.resize_mode)} is not shortest, longest or squash`);
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

/** open_clip's center_crop_or_pad: pad with the fill pixel to at least the target, then center crop. */
function cropOrPad(img: RawImage, th: number, tw: number, fill: readonly number[]): RawImage {
  const c = img.channels;
  let src = img;
  if (tw > img.width || th > img.height) {
    const left = tw > img.width ? Math.floor((tw - img.width) / 2) : 0;
    const top = th > img.height ? Math.floor((th - img.height) / 2) : 0;
    const pw = Math.max(img.width, tw);
    const ph = Math.max(img.height, th);
    const data = new Uint8Array(pw * ph * c);
    for (let p = 0; p < pw * ph; p++) data.set(fill, p * c);
    const row = img.width * c;
    for (let y = 0; y < img.height; y++)
      data.set(img.data.subarray(y * row, (y + 1) * row), ((y + top) * pw + left) * c);
    src = { data, width: pw, height: ph, channels: c };
    if (pw === tw && ph === th) return src;
  }
  const top = pyRound((src.height - th) / 2);
  const left = pyRound((src.width - tw) / 2);
  const out = new Uint8Array(tw * th * c);
  for (let y = 0; y < th; y++) {
    const from = ((y + top) * src.width + left) * c;
    out.set(src.data.subarray(from, from + tw * c), y * tw * c);
  }
  return { data: out, width: tw, height: th, channels: c };
}

/** Resize, crop or pad, RGB conversion: open_clip's eval transform up to ToTensor, on 8-bit pixels. */
export function transformPixels(decoded: DecodedImage, cfg: PreprocessCfg): RawImage {
  const [th, tw] = checkCfg(cfg);
  const [rh, rw] = resizeTarget(decoded, [th, tw], cfg.resize_mode);
  // open_clip quirk: 'shortest' with a non-square size builds ResizeKeepRatio without the interpolation,
  // so it is always bicubic there.
  const interp = cfg.resize_mode === 'shortest' && th !== tw ? 'bicubic' : cfg.interpolation;
  const resized = resample(decoded, rw, rh, interp);
  if (cfg.resize_mode === 'squash') return toRgb({ ...resized, mode: decoded.mode });
  // Pillow pads in the image's own mode: an int fill is every band (so CMYK fill converts like any CMYK
  // pixel), and for RGBA the alpha is dropped later, so pad opaque here where pixels are premultiplied.
  const v = cfg.fill_color ?? 0;
  const fill = decoded.mode === 'rgb' ? [v, v, v] : decoded.mode === 'cmyk' ? [v, v, v, v] : [v, v, v, 255];
  return toRgb({ ...cropOrPad(resized, th, tw, fill), mode: decoded.mode });
}

/** ToTensor + Normalize: float32 [3, H, W], (v / 255 - mean) / std in float32 like torch. */
export function normalizeToChw(
  img: RawImage,
  cfg: PreprocessCfg,
  out = new Float32Array(3 * img.width * img.height),
  offset = 0,
): Float32Array {
  const plane = img.width * img.height;
  const f = Math.fround;
  for (let c = 0; c < 3; c++) {
    const mean = f(cfg.mean[c] as number);
    const std = f(cfg.std[c] as number);
    for (let p = 0; p < plane; p++)
      out[offset + c * plane + p] = f(f(f((img.data[p * 3 + c] as number) / 255) - mean) / std);
  }
  return out;
}

/** One image file or buffer to open_clip's pixel_values, float32 [3, H, W]. */
export async function preprocessImage(input: string | Buffer, cfg: PreprocessCfg): Promise<Float32Array> {
  checkCfg(cfg);
  return normalizeToChw(transformPixels(await decodeImage(input), cfg), cfg);
}
