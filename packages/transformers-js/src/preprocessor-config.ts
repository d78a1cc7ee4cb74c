// open_clip's defaults (OPENAI_DATASET_MEAN / STD) when a config leaves them out.
const OPENAI_MEAN = [0.48145466, 0.4578275, 0.40821073];
const OPENAI_STD = [0.26862954, 0.26130258, 0.27577711];
/** PIL's resample codes, which transformers.js's `resample` uses. */
const RESAMPLE: Record<string, number> = { bilinear: 2, bicubic: 3 };

/**
 * The CLIPImageProcessor settings closest to open_clip's transform: 'shortest' resizes the short side and
 * centre-crops, 'squash' (and a non-square size, which open_clip resizes to exactly) resizes to the size.
 * Pixels are scaled by 1/255 and normalized with the model's mean and std. transformers.js resizes with its own
 * resampler, so images differ from PIL's slightly; cliphub's runtime stays the exact path.
 */
export function preprocessorConfig(
  preprocessCfg: Record<string, unknown>,
  imageSize: [number, number],
): Record<string, unknown> {
  const [height, width] = imageSize;
  const squash = preprocessCfg.resize_mode === 'squash' || height !== width;
  return {
    image_processor_type: 'CLIPImageProcessor',
    feature_extractor_type: 'CLIPFeatureExtractor',
    do_convert_rgb: true,
    do_resize: true,
    size: squash ? { height, width } : { shortest_edge: height },
    resample: RESAMPLE[String(preprocessCfg.interpolation ?? 'bicubic')] ?? 3,
    do_center_crop: !squash,
    crop_size: { height, width },
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: (preprocessCfg.mean as number[] | undefined) ?? OPENAI_MEAN,
    image_std: (preprocessCfg.std as number[] | undefined) ?? OPENAI_STD,
  };
}
