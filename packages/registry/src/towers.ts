import type { Family, ModelCfg, TextTower, VisionTower } from './types.js';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Which vision tower open_clip builds for this config, following _build_vision_tower: a timm model
 * when timm_model_name is set, ModifiedResNet when layers is a list, otherwise its own ViT.
 * The timm sub-kind is read from the timm model name (and, for SigLIP 2, from the arch or tokenizer
 * name, since timm shares some SigLIP trunks between the two generations).
 */
export function visionTowerOf(modelCfg: ModelCfg, arch: string | null = null): VisionTower {
  const v = modelCfg.vision_cfg;
  const timm = str(v.timm_model_name).toLowerCase();
  if (!timm) return Array.isArray(v.layers) ? 'modified-resnet' : 'native-vit';
  const hints = `${arch ?? ''} ${str(modelCfg.text_cfg.hf_tokenizer_name)}`.toLowerCase();
  if (timm.includes('siglip')) return hints.includes('siglip2') ? 'timm-siglip2-vit' : 'timm-siglip-vit';
  if (timm.startsWith('convnext')) return 'timm-convnext';
  if (timm.startsWith('eva')) return 'timm-eva';
  if (timm.startsWith('vitamin')) return 'timm-vitamin';
  if (timm.includes('_mci') || hints.includes('mobileclip')) return 'timm-mobileclip';
  if (timm.includes('_pe_core')) return 'timm-pe-core';
  if (timm.startsWith('swin')) return 'timm-swin';
  if (timm.startsWith('vit')) return 'timm-vit';
  return 'timm-other';
}

/** open_clip builds a Hugging Face text model when text_cfg.hf_model_name is set. */
export function textTowerOf(modelCfg: ModelCfg): TextTower {
  return str(modelCfg.text_cfg.hf_model_name) ? 'hf-text' : 'native-transformer';
}

/** The family a listing shows: CoCa (multimodal_cfg) first, then HF text towers, else the vision tower. */
export function familyOf(modelCfg: ModelCfg, arch: string | null = null): Family {
  if (modelCfg.multimodal_cfg) return 'coca';
  if (textTowerOf(modelCfg) === 'hf-text') return 'hf-text';
  return visionTowerOf(modelCfg, arch);
}
