import { decodeImage } from './decode.js';
import { checkCfg, normalizeToChw, transformPixels, type PreprocessCfg } from './preprocess-image.js';

/** A batch of images as float32 pixel_values [N, 3, H, W]. */
export interface PixelBatch {
  data: Float32Array;
  shape: [number, 3, number, number];
}

/** Preprocesses several images into one [N, 3, H, W] tensor, in input order; fails on the first bad image. */
export async function preprocessBatch(inputs: readonly (string | Buffer)[], cfg: PreprocessCfg): Promise<PixelBatch> {
  const [h, w] = checkCfg(cfg);
  const per = 3 * h * w;
  const data = new Float32Array(inputs.length * per);
  const decoded = await Promise.all(inputs.map((input) => decodeImage(input)));
  decoded.forEach((img, i) => normalizeToChw(transformPixels(img, cfg), cfg, data, i * per));
  return { data, shape: [inputs.length, 3, h, w] };
}
