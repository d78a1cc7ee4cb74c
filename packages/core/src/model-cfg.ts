/** An open_clip model config (`model_configs/*.json`, or `model_cfg` of open_clip_config.json), kept as-is. */
export interface ModelCfg {
  embed_dim: number;
  vision_cfg: Record<string, unknown>;
  text_cfg: Record<string, unknown>;
  quick_gelu?: boolean;
  custom_text?: boolean;
  multimodal_cfg?: Record<string, unknown>;
  init_logit_bias?: number | null;
  [key: string]: unknown;
}

/** open_clip's PreprocessCfg, as create_model attaches it to the model. */
export interface PreprocessCfg {
  size: number | [number, number];
  mode: 'RGB';
  mean: [number, number, number];
  std: [number, number, number];
  interpolation: 'bicubic' | 'bilinear' | 'random';
  resize_mode: 'shortest' | 'longest' | 'squash';
  fill_color: number;
}

/**
 * The activation a tower runs. 'silu' is EVA02's SwiGLU MLP; 'unknown' is a timm or Hugging Face tower
 * never inspected (a user config naming a new model).
 */
export type Activation = 'quick_gelu' | 'gelu' | 'gelu_tanh' | 'relu' | 'silu' | 'unknown';

export type Tower = 'vision' | 'text';
