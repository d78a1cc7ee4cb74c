import { towerSupport, type ModelCfg } from '@cliphub/onnx-export';

/** The CLIP BPE vocabulary size: ids 0..49405, then SOT and EOT. */
export const CLIP_VOCAB_SIZE = 49408;

export type LayoutPart = 'vision tower' | 'text tower' | 'tokenizer' | 'preprocessing';

export type LayoutFit =
  | {
      fits: true;
      /** open_clip's `clean` for the tokenizer. */
      clean: 'lower' | 'whitespace' | 'canonicalize';
      imageSize: [number, number];
      /** config.json model_type: 'siglip' (sigmoid, texts padded to the context) for models with a logit_bias. */
      modelType: 'clip' | 'siglip';
      /** The Hugging Face tokenizer the model names (its files come from the user), or null for the CLIP BPE. */
      hfTokenizer: string | null;
    }
  | { fits: false; part: LayoutPart; reason: string };

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * Whether transformers.js can run the model as open_clip does: both towers export; the text is tokenized by
 * the CLIP BPE (generated tokenizer.json) or by the model's Hugging Face tokenizer (its own files, with
 * open_clip's cleaning prepended); and the text tower gives open_clip's result for the ids transformers.js
 * passes: SigLIP-style models (a logit_bias: model_type 'siglip') get texts padded to the context length, so any
 * tower fits; CLIP-style ones get texts padded to the longest, so the tower must be causal and not pool the last
 * token. The preprocessing must be one CLIPImageProcessor expresses.
 */
export function transformersJsFit(modelCfg: ModelCfg, preprocessCfg: Record<string, unknown> = {}): LayoutFit {
  const support = towerSupport(modelCfg);
  for (const tower of ['vision', 'text'] as const) {
    const s = support[tower];
    if (!s.supported) return { fits: false, part: `${tower} tower`, reason: s.reason ?? 'it does not export' };
  }
  const text = obj(modelCfg.text_cfg);
  const hfTokenizer = typeof text.hf_tokenizer_name === 'string' ? text.hf_tokenizer_name : null;
  const kwargs = obj(text.tokenizer_kwargs);
  const modelType = modelCfg.init_logit_bias != null ? 'siglip' : 'clip';
  let clean: 'lower' | 'whitespace' | 'canonicalize';
  if (hfTokenizer !== null) {
    const other = Object.keys(kwargs).filter((k) => k !== 'clean');
    if (other.length) {
      return {
        fits: false,
        part: 'tokenizer',
        reason:
          other[0] === 'strip_sep_token'
            ? 'open_clip replaces its separator id with 0 (strip_sep_token), which no transformers.js tokenizer setting does'
            : `tokenizer_kwargs.${other[0]} has no transformers.js equivalent`,
      };
    }
    const mode = kwargs.clean ?? 'whitespace';
    if (mode !== 'lower' && mode !== 'whitespace' && mode !== 'canonicalize')
      return { fits: false, part: 'tokenizer', reason: `tokenizer_kwargs.clean '${String(mode)}' is not open_clip's` };
    clean = mode;
  } else {
    const vocab = typeof text.vocab_size === 'number' ? text.vocab_size : CLIP_VOCAB_SIZE;
    if (vocab !== CLIP_VOCAB_SIZE) {
      return {
        fits: false,
        part: 'tokenizer',
        reason: `text vocab_size ${vocab} is not the CLIP BPE's ${CLIP_VOCAB_SIZE}, and no other tokenizer is named`,
      };
    }
    const mode = kwargs.clean ?? 'lower';
    if (mode !== 'lower' && mode !== 'whitespace') {
      return {
        fits: false,
        part: 'tokenizer',
        reason: `tokenizer_kwargs.clean '${String(mode)}' (punctuation removal) has no transformers.js normalizer`,
      };
    }
    clean = mode;
  }
  const pool = text.pool_type ?? 'argmax';
  if (modelType === 'clip' && typeof text.hf_model_name === 'string') {
    return {
      fits: false,
      part: 'text tower',
      reason: `its Hugging Face tower ${text.hf_model_name} takes exactly context_length ids, and transformers.js pads CLIP texts to the longest in the batch`,
    };
  }
  if (modelType === 'clip' && (text.no_causal_mask === true || pool === 'last')) {
    return {
      fits: false,
      part: 'text tower',
      reason:
        'it attends to (or pools) padding, so its result depends on the padded length, and transformers.js pads CLIP texts to the longest in the batch',
    };
  }
  if (hfTokenizer !== null && typeof text.hf_model_name !== 'string' && pool === 'argmax') {
    return {
      fits: false,
      part: 'text tower',
      reason: 'it pools the largest id (argmax), which transformers.js cannot restore when it cuts an over-long text',
    };
  }
  const mode = preprocessCfg.resize_mode ?? 'shortest';
  if (mode !== 'shortest' && mode !== 'squash') {
    return {
      fits: false,
      part: 'preprocessing',
      reason:
        mode === 'longest'
          ? "resize_mode 'longest': transformers.js's longest_edge resize floors the short side where open_clip rounds it (about half of all images come out 1 px smaller, shifting the centred padding), and its browser centre-pad draws at half-pixel offsets"
          : `resize_mode '${String(mode)}' is not one of open_clip's`,
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
  return { fits: true, clean, imageSize, modelType, hfTokenizer };
}
