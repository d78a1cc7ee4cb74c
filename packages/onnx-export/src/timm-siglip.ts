import type { TimmVitSpec } from './resolve-config.js';
import type { Activation, WeightSource } from './types.js';

/** A timm VisionTransformer as built by the vit_*_siglip_* entry points (class_token=False, global_pool='map'). */
export interface TimmSiglipArch {
  width: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  patch: number;
  image: number;
  act: Activation;
  /** Global average pooling over the patch tokens (no class token, no MAP head); absent: the MAP head. */
  pool?: 'avg' | 'token';
  /** timm VisionTransformerRelPos: no absolute pos_embed, a class token, and per block an MLP ('cr' log coords) of this hidden width that makes the attention bias. */
  relPosDim?: number;
  /** timm qkv_bias=False: the qkv Linear has no bias. */
  noQkvBias?: true;
  /** timm init_values: blocks hold ls1/ls2 layer-scale gammas. */
  layerScale?: true;
}

// Architecture arguments of timm's siglip entry points (timm/models/vision_transformer.py); the
// per-model act_layer differs, so it is listed per name rather than per family.
const FAMILY: Record<string, { width: number; depth: number; heads: number; mlpRatio: number }> = {
  base: { width: 768, depth: 12, heads: 12, mlpRatio: 4 },
  large: { width: 1024, depth: 24, heads: 16, mlpRatio: 4 },
  so400m: { width: 1152, depth: 27, heads: 16, mlpRatio: 3.7362 },
  giantopt: { width: 1536, depth: 40, heads: 16, mlpRatio: 4 },
};
const TANH = new Set([
  'vit_base_patch32_siglip_256',
  'vit_large_patch16_siglip_512',
  'vit_so400m_patch16_siglip_256',
  'vit_so400m_patch16_siglip_384',
  'vit_so400m_patch16_siglip_512',
  'vit_giantopt_patch16_siglip_256',
  'vit_giantopt_patch16_siglip_384',
]);
const KNOWN = new Set([
  ...TANH,
  'vit_base_patch16_siglip_224',
  'vit_base_patch16_siglip_256',
  'vit_base_patch16_siglip_384',
  'vit_base_patch16_siglip_512',
  'vit_large_patch16_siglip_256',
  'vit_large_patch16_siglip_384',
  'vit_so400m_patch14_siglip_224',
  'vit_so400m_patch14_siglip_378',
  'vit_so400m_patch14_siglip_384',
]);

/** The architecture behind a timm SigLIP model name, or null for names this exporter does not know. */
export function timmSiglipArch(name: string): TimmSiglipArch | null {
  const m = /^vit_([a-z0-9]+)_patch(\d+)_siglip_(\d+)$/.exec(name);
  const fam = m ? FAMILY[m[1] as string] : undefined;
  if (!m || !fam || !KNOWN.has(name)) return null;
  return { ...fam, patch: Number(m[2]), image: Number(m[3]), act: TANH.has(name) ? 'gelu_tanh' : 'gelu' };
}

// timm's avg-pooled ViTs without a class token (vision_transformer.py entry points): pre-pool norm
// (fc_norm=False), layer scale (init_values), no qkv bias.
const GAP: Record<string, TimmSiglipArch> = {
  vit_medium_patch16_gap_256: {
    width: 512,
    depth: 12,
    heads: 8,
    mlpRatio: 4,
    patch: 16,
    image: 256,
    act: 'gelu',
    pool: 'avg',
    noQkvBias: true,
    layerScale: true,
  },
  vit_relpos_medium_patch16_cls_224: {
    width: 512,
    depth: 12,
    heads: 8,
    mlpRatio: 4,
    patch: 16,
    image: 224,
    act: 'gelu',
    pool: 'token',
    relPosDim: 256,
    noQkvBias: true,
    layerScale: true,
  },
};

/** The architecture behind a timm avg-pooled ViT name (vit_*_gap_*), or null. */
export function timmVitGapArch(name: string): TimmSiglipArch | null {
  return GAP[name] ?? null;
}

/**
 * Width, depth and MLP width as the checkpoint holds them (a SigLIP ViT "at any size": the same entry
 * point built with another embed_dim / depth); heads stay the named model's. Missing keys keep the named
 * model's values, so the weight check names them.
 */
export function timmVitFromWeights(spec: TimmVitSpec, source: WeightSource): TimmVitSpec {
  const t = 'visual.trunk.';
  const width = source.info(`${t}patch_embed.proj.weight`)?.shape[0] ?? spec.width;
  const mlpWidth = source.info(`${t}blocks.0.mlp.fc1.weight`)?.shape[0] ?? spec.mlpWidth;
  const relPosDim =
    spec.relPosDim && (source.info(`${t}blocks.0.attn.rel_pos.mlp.fc1.weight`)?.shape[0] ?? spec.relPosDim);
  let layers = 0;
  for (const n of source.names()) {
    const m = /^visual\.trunk\.blocks\.(\d+)\./.exec(n);
    if (m) layers = Math.max(layers, Number(m[1]) + 1);
  }
  return {
    ...spec,
    width,
    mlpWidth,
    ...(relPosDim ? { relPosDim } : {}),
    layers: layers || spec.layers,
    outputDim: spec.proj === 'none' ? width : spec.outputDim,
  };
}
