// The larger sibling of each family is its smaller config with other sizes (spreads keep the key order).
const ROBERTA_BASE = {
  model_type: 'roberta',
  vocab_size: 50265,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  max_position_embeddings: 514,
  type_vocab_size: 1,
  layer_norm_eps: 1e-5,
  pad_token_id: 1,
  bos_token_id: 0,
  eos_token_id: 2,
};
const XLM_ROBERTA_BASE = { ...ROBERTA_BASE, model_type: 'xlm-roberta', vocab_size: 250002 };
const NLLB_600M = {
  model_type: 'm2m_100',
  vocab_size: 256206,
  d_model: 1024,
  encoder_layers: 12,
  decoder_layers: 12,
  encoder_attention_heads: 16,
  decoder_attention_heads: 16,
  encoder_ffn_dim: 4096,
  decoder_ffn_dim: 4096,
  activation_function: 'relu',
  max_position_embeddings: 1024,
  scale_embedding: true,
  pad_token_id: 1,
  bos_token_id: 0,
  eos_token_id: 2,
};
const MT5_BASE = {
  model_type: 'mt5',
  vocab_size: 250112,
  d_model: 768,
  d_kv: 64,
  d_ff: 2048,
  num_layers: 12,
  num_decoder_layers: 12,
  num_heads: 12,
  relative_attention_num_buckets: 32,
  relative_attention_max_distance: 128,
  feed_forward_proj: 'gated-gelu',
  layer_norm_epsilon: 1e-6,
  tie_word_embeddings: false,
  pad_token_id: 0,
  eos_token_id: 1,
  decoder_start_token_id: 0,
};

/**
 * The public config.json values of the Hugging Face text towers open_clip 3.3.0 names (text_cfg.hf_model_name),
 * so HF towers export without the Hub. Fields not listed keep transformers' defaults for the model_type.
 */
export const HF_TEXT_CONFIGS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  'roberta-base': ROBERTA_BASE,
  'xlm-roberta-base': XLM_ROBERTA_BASE,
  'xlm-roberta-large': {
    ...XLM_ROBERTA_BASE,
    hidden_size: 1024,
    num_hidden_layers: 24,
    num_attention_heads: 16,
    intermediate_size: 4096,
  },
  'facebook/nllb-200-distilled-600M': NLLB_600M,
  'facebook/nllb-200-distilled-1.3B': {
    ...NLLB_600M,
    encoder_layers: 24,
    decoder_layers: 24,
    encoder_ffn_dim: 8192,
    decoder_ffn_dim: 8192,
  },
  'google/mt5-base': MT5_BASE,
  'google/mt5-xl': { ...MT5_BASE, d_model: 2048, d_ff: 5120, num_layers: 24, num_decoder_layers: 24, num_heads: 32 },
};

/** The shipped config.json values of a named HF text tower, or null when cliphub does not know it. */
export function knownHfConfig(name: string): Record<string, unknown> | null {
  const cfg = Object.hasOwn(HF_TEXT_CONFIGS, name) ? HF_TEXT_CONFIGS[name] : undefined;
  return cfg ? { ...cfg } : null;
}
