export { PreprocessError } from './errors.js';
export { resample, type RawImage, type Interpolation } from './resample.js';
export { decodeImage, toRgb, type DecodedImage } from './decode.js';
export { preprocessImage, transformPixels, normalizeToChw, checkCfg, type PreprocessCfg } from './preprocess-image.js';
export { preprocessBatch, type PixelBatch } from './preprocess-batch.js';
