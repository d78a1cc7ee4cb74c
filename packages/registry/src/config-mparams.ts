import type { ModelCfg } from './types.js';

// timm's vit_pe_core_* entry points (timm/models/eva.py): width, depth, MLP ratio, class token.
const PE_CORE: Record<string, { width: number; depth: number; mlpRatio: number; classToken: boolean }> = {
  vit_pe_core_tiny_patch16_384: { width: 192, depth: 12, mlpRatio: 4, classToken: true },
  vit_pe_core_small_patch16_384: { width: 384, depth: 12, mlpRatio: 4, classToken: true },
  vit_pe_core_base_patch16_224: { width: 768, depth: 12, mlpRatio: 4, classToken: true },
  vit_pe_core_large_patch14_336: { width: 1024, depth: 24, mlpRatio: 4, classToken: true },
  vit_pe_core_gigantic_patch14_448: { width: 1536, depth: 50, mlpRatio: 8960 / 1536, classToken: false },
};

const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);
const linear = (inDim: number, outDim: number, bias = true) => inDim * outDim + (bias ? outDim : 0);

/** Pre-LN block: two LayerNorms, qkv and output projections, an MLP of `hidden`. */
const block = (w: number, hidden: number) =>
  4 * w + linear(w, 3 * w) + linear(w, w) + linear(w, hidden) + linear(hidden, w);

/** PE-Core's Eva trunk: bias-free patch conv, class token, positions, pre-norm, blocks, norm, MAP head, head Linear. */
function peVisionParams(name: string, image: number, embedDim: number): number | null {
  const a = PE_CORE[name];
  const patch = Number(/_patch(\d+)_/.exec(name)?.[1]);
  if (!a || !patch) return null;
  const w = a.width;
  const tokens = Math.floor(image / patch) ** 2 + (a.classToken ? 1 : 0);
  const pool = w + linear(w, w) + linear(w, 2 * w) + linear(w, w) + 2 * w + linear(w, 4 * w) + linear(4 * w, w);
  return (
    3 * patch * patch * w +
    (a.classToken ? w : 0) +
    tokens * w +
    2 * w +
    a.depth * block(w, Math.floor(w * a.mlpRatio)) +
    2 * w +
    pool +
    linear(w, embedDim)
  );
}

/** open_clip's TextTransformer (argmax pooling, projection matrix without bias). */
function textParams(t: Record<string, unknown>, embedDim: number): number {
  const w = num(t.width, 512);
  const layers = num(t.layers, 12);
  const hidden = Math.floor(w * num(t.mlp_ratio, 4));
  return (
    num(t.vocab_size, 49408) * w + num(t.context_length, 77) * w + layers * block(w, hidden) + 2 * w + w * embedDim
  );
}

/**
 * Parameters (millions, two decimals, as upstream's model_profile.csv) computed from the config, for
 * architectures upstream does not profile: PE-Core. Null for any other architecture.
 */
export function peCoreMparams(cfg: ModelCfg): number | null {
  const v = cfg.vision_cfg;
  const name = typeof v.timm_model_name === 'string' ? v.timm_model_name : '';
  if (!name.startsWith('vit_pe_core_') || cfg.text_cfg.hf_model_name || v.timm_proj != null) return null;
  const image = num(v.image_size, 224);
  const vision = peVisionParams(name, image, cfg.embed_dim);
  if (vision === null) return null;
  const total = vision + textParams(cfg.text_cfg, cfg.embed_dim) + 1; // + logit_scale
  return Math.round(total / 1e4) / 100;
}
