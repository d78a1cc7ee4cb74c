import { towerSupport, type ModelCfg } from '@cliphub/onnx-export';

/** The CLIP BPE vocabulary size: ids 0..49405, then SOT and EOT. */
export const CLIP_VOCAB_SIZE = 49408;

export type LayoutPart = 'vision tower' | 'text tower' | 'tokenizer' | 'preprocessing';

export type LayoutFit =
  | { fits: true; clean: 'lower' | 'whitespace'; imageSize: [number, number] }
  | { fits: false; part: LayoutPart; reason: string };

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * Whether transformers.js can run the model as open_clip does: both towers export, the text is tokenized by
 * the CLIP BPE (generated tokenizer.json) and its tower accepts texts padded to the longest (causal, not pooling
 * the last token), and the preprocessing is one CLIPImageProcessor expresses.
 */
export function transformersJsFit(modelCfg: ModelCfg, preprocessCfg: Record<string, unknown> = {}): LayoutFit {
  const support = towerSupport(modelCfg);
  for (const tower of ['vision', 'text'] as const) {
    const s = support[tower];
    if (!s.supported) return { fits: false, part: `${tower} tower`, reason: s.reason ?? 'it does not export' };
  }
  const text = obj(modelCfg.text_cfg);
  if (typeof text.hf_tokenizer_name === 'string') {
    return {
      fits: false,
      part: 'tokenizer',
      reason: `it uses the Hugging Face tokenizer ${text.hf_tokenizer_name}; only the CLIP BPE is generated so far`,
    };
  }
  const vocab = typeof text.vocab_size === 'number' ? text.vocab_size : CLIP_VOCAB_SIZE;
  if (vocab !== CLIP_VOCAB_SIZE) {
    return {
      fits: false,
      part: 'tokenizer',
      reason: `text vocab_size ${vocab} is not the CLIP BPE's ${CLIP_VOCAB_SIZE}, and no other tokenizer is named`,
    };
  }
  const clean = obj(text.tokenizer_kwargs).clean ?? 'lower';
  if (clean !== 'lower' && clean !== 'whitespace') {
    return {
      fits: false,
      part: 'tokenizer',
      reason: `tokenizer_kwargs.clean '${String(clean)}' (punctuation removal) has no transformers.js normalizer`,
    };
  }
  const pool = text.pool_type ?? 'argmax';
  if (text.no_causal_mask === true || pool === 'last') {
    return {
      fits: false,
      part: 'text tower',
      reason:
        'it attends to (or pools) padding, so its result depends on the padded length, and transformers.js pads CLIP texts to the longest in the batch',
    };
  }
  const mode = preprocessCfg.resize_mode ?? 'shortest';
  if (mode !== 'shortest' && mode !== 'squash') {
    return {
      fits: false,
      part: 'preprocessing',
      reason: `resize_mode '${String(mode)}' letterboxes around the centre, which transformers.js's image processor cannot`,
    };
  }
  const interpolation = preprocessCfg.interpolation ?? 'bicubic';
  if (interpolation !== 'bicubic' && interpolation !== 'bilinear') {
    return {
      fits: false,
      part: 'preprocessing',
      reason: `interpolation '${String(interpolation)}' has no transformers.js resample mode`,
    };
  }
  const size = preprocessCfg.size ?? obj(modelCfg.vision_cfg).image_size ?? 224;
  const imageSize: [number, number] = Array.isArray(size)
    ? [Number(size[0]), Number(size[1])]
    : [Number(size), Number(size)];
  return { fits: true, clean, imageSize };
}
