import type { ModelCfg } from '@cliphub/onnx-export';

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);

/**
 * config.json for transformers.js: `model_type: clip` selects its CLIP classes (which run the ONNX graphs as
 * they are); the sub-configs describe the towers with open_clip's defaults filled in, for readers of the file.
 */
export function hfConfig(
  modelCfg: ModelCfg,
  facts: {
    logitScale: number;
    logitBias: number | null;
    imageSize: [number, number];
    activation: string;
    /** 'siglip' selects transformers.js's SigLIP classes and pipeline behaviour (max_length padding, sigmoid). */
    modelType?: 'clip' | 'siglip';
    /** The Hugging Face tokenizer's pad and end ids (the CLIP BPE's otherwise). */
    tokenIds?: { pad: number; eos: number | null };
  },
): Record<string, unknown> {
  if (facts.modelType === 'siglip') return siglipConfig(modelCfg, facts);
  const text = obj(modelCfg.text_cfg);
  const vision = obj(modelCfg.vision_cfg);
  const textWidth = num(text.width, 512);
  const visionWidth = num(vision.width, 768);
  const hiddenAct = facts.activation === 'quick_gelu' ? 'quick_gelu' : 'gelu';
  const resnet = Array.isArray(vision.layers);
  return {
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: modelCfg.embed_dim,
    logit_scale_init_value: facts.logitScale,
    ...(facts.logitBias !== null ? { logit_bias_init_value: facts.logitBias } : {}),
    text_config: {
      model_type: 'clip_text_model',
      hidden_size: textWidth,
      intermediate_size: Math.round(textWidth * num(text.mlp_ratio, 4)),
      num_attention_heads: num(text.heads, 8),
      num_hidden_layers: num(text.layers, 12),
      max_position_embeddings: num(text.context_length, 77),
      vocab_size: num(text.vocab_size, 49408),
      hidden_act: hiddenAct,
      projection_dim: modelCfg.embed_dim,
      pad_token_id: 0,
      bos_token_id: 49406,
      eos_token_id: 49407,
    },
    vision_config: {
      model_type: 'clip_vision_model',
      ...(resnet ? { architecture: 'ModifiedResNet', layers: vision.layers } : {}),
      hidden_size: visionWidth,
      intermediate_size: Math.round(visionWidth * num(vision.mlp_ratio, 4)),
      num_attention_heads: Math.max(1, Math.round(visionWidth / num(vision.head_width, 64))),
      num_hidden_layers: resnet ? (vision.layers as number[]).reduce((a, b) => a + b, 0) : num(vision.layers, 12),
      image_size: facts.imageSize[0],
      patch_size: num(vision.patch_size, 16),
      num_channels: 3,
      hidden_act: hiddenAct,
      projection_dim: modelCfg.embed_dim,
    },
  };
}

/**
 * config.json with `model_type: siglip`: transformers.js's SiglipModel / SiglipTextModel / SiglipVisionModel run
 * the graphs as they are, and its zero-shot pipeline pads texts to max_length and applies a sigmoid to
 * logits_per_image (which holds exp(logit_scale)·cos + logit_bias). The sub-configs describe the towers.
 */
function siglipConfig(modelCfg: ModelCfg, facts: Parameters<typeof hfConfig>[1]): Record<string, unknown> {
  const text = obj(modelCfg.text_cfg);
  const vision = obj(modelCfg.vision_cfg);
  const textWidth = num(text.width, 512);
  const visionWidth = num(vision.width, 768);
  return {
    architectures: ['SiglipModel'],
    model_type: 'siglip',
    projection_dim: modelCfg.embed_dim,
    logit_scale_init_value: facts.logitScale,
    logit_bias_init_value: facts.logitBias ?? 0,
    text_config: {
      model_type: 'siglip_text_model',
      ...(typeof text.hf_model_name === 'string' ? { open_clip_hf_model_name: text.hf_model_name } : {}),
      hidden_size: textWidth,
      intermediate_size: Math.round(textWidth * num(text.mlp_ratio, 4)),
      num_attention_heads: num(text.heads, 8),
      num_hidden_layers: num(text.layers, 12),
      max_position_embeddings: num(text.context_length, 77),
      ...(typeof text.vocab_size === 'number' ? { vocab_size: text.vocab_size } : {}),
      hidden_act: facts.activation === 'quick_gelu' ? 'quick_gelu' : 'gelu',
      projection_size: modelCfg.embed_dim,
      ...(facts.tokenIds
        ? {
            pad_token_id: facts.tokenIds.pad,
            ...(facts.tokenIds.eos !== null ? { eos_token_id: facts.tokenIds.eos } : {}),
          }
        : {}),
    },
    vision_config: {
      model_type: 'siglip_vision_model',
      ...(typeof vision.timm_model_name === 'string' ? { open_clip_timm_model_name: vision.timm_model_name } : {}),
      hidden_size: visionWidth,
      image_size: facts.imageSize[0],
      patch_size: num(vision.patch_size, 16),
      num_channels: 3,
    },
  };
}
