import type { WeightSource } from './types.js';

/** 2-D rotary embedding settings of a timm Eva (RotaryEmbeddingCat, interleaved layout). */
export interface EvaRope {
  /** ref_feat_shape: positions are scaled by ref / grid (EVA's fine-tune resize scheme). */
  ref: [number, number];
  gridOffset: number;
  indexing: 'ij' | 'xy';
  temperature: number;
}

/** A timm Eva trunk (timm/models/eva.py) as its entry point builds it for open_clip. */
export interface TimmEvaArch {
  width: number;
  depth: number;
  heads: number;
  /** int(width · mlp_ratio), as timm computes it. */
  mlpWidth: number;
  patch: number;
  image: number;
  classToken: boolean;
  /** use_pre_transformer_norm: LayerNorm before the blocks, and a patch conv without bias. */
  preNorm: boolean;
  /** EvaBlockPostNorm: x + norm1(attn(x)), x + norm2(mlp(x)). */
  postNorm: boolean;
  /**
   * 'qv-bias': fused qkv weight with q_bias and v_bias (k has none); 'separate': q_proj, k_proj (no
   * bias), v_proj; 'fused': nn.Linear qkv with its own bias (AttentionRope).
   */
  qkv: 'qv-bias' | 'separate' | 'fused';
  /** scale_attn_inner: LayerNorm on the attention output before proj. */
  attnNorm: boolean;
  /** SwiGLU with sub-LayerNorm (fc1_g, fc1_x, norm, fc2) instead of a GELU Mlp. */
  swiglu: boolean;
  rope: EvaRope | null;
  pool: 'token' | 'map';
  attnPoolHeads: number;
  attnPoolMlpWidth: number;
  eps: number;
}

type Entry = Omit<TimmEvaArch, 'mlpWidth' | 'attnPoolMlpWidth'> & { mlpRatio: number };

const EVA02: Omit<Entry, 'width' | 'depth' | 'heads' | 'patch' | 'image'> = {
  mlpRatio: (4 * 2) / 3,
  classToken: true,
  preNorm: false,
  postNorm: false,
  qkv: 'separate',
  attnNorm: true,
  swiglu: true,
  rope: { ref: [16, 16], gridOffset: 0, indexing: 'ij', temperature: 10000 },
  pool: 'token',
  attnPoolHeads: 0,
  eps: 1e-6,
};
const EVA_PLAIN: Omit<Entry, 'width' | 'depth' | 'heads' | 'patch' | 'image' | 'mlpRatio'> = {
  classToken: true,
  preNorm: false,
  postNorm: false,
  qkv: 'qv-bias',
  attnNorm: false,
  swiglu: false,
  rope: null,
  pool: 'token',
  attnPoolHeads: 0,
  eps: 1e-6,
};
const pe = (ref: number, gridOffset: number): Omit<Entry, 'width' | 'depth' | 'heads' | 'patch' | 'image'> => ({
  mlpRatio: 4,
  classToken: true,
  preNorm: true,
  postNorm: false,
  qkv: 'fused',
  attnNorm: false,
  swiglu: false,
  rope: { ref: [ref, ref], gridOffset, indexing: 'xy', temperature: 10000 },
  pool: 'map',
  attnPoolHeads: 8,
  eps: 1e-5,
});

// The entry points open_clip 3.3.0's configs name (timm/models/eva.py model_args).
const ARCHS: Record<string, Entry> = {
  eva_giant_patch14_224: {
    ...EVA_PLAIN,
    width: 1408,
    depth: 40,
    heads: 16,
    mlpRatio: 6144 / 1408,
    patch: 14,
    image: 224,
  },
  eva02_base_patch16_clip_224: { ...EVA02, width: 768, depth: 12, heads: 12, patch: 16, image: 224 },
  eva02_large_patch14_clip_224: { ...EVA02, width: 1024, depth: 24, heads: 16, patch: 14, image: 224 },
  eva02_large_patch14_clip_336: { ...EVA02, width: 1024, depth: 24, heads: 16, patch: 14, image: 336 },
  eva02_enormous_patch14_clip_224: {
    ...EVA_PLAIN,
    postNorm: true,
    width: 1792,
    depth: 64,
    heads: 16,
    mlpRatio: 15360 / 1792,
    patch: 14,
    image: 224,
  },
  vit_pe_core_tiny_patch16_384: { ...pe(24, 1), width: 192, depth: 12, heads: 3, patch: 16, image: 384 },
  vit_pe_core_small_patch16_384: { ...pe(24, 1), width: 384, depth: 12, heads: 6, patch: 16, image: 384 },
  vit_pe_core_base_patch16_224: { ...pe(14, 1), width: 768, depth: 12, heads: 12, patch: 16, image: 224 },
  vit_pe_core_large_patch14_336: { ...pe(24, 1), width: 1024, depth: 24, heads: 16, patch: 14, image: 336 },
  vit_pe_core_gigantic_patch14_448: {
    ...pe(32, 0),
    classToken: false,
    width: 1536,
    depth: 50,
    heads: 16,
    mlpRatio: 8960 / 1536,
    patch: 14,
    image: 448,
  },
};

const sized = (e: Entry, width: number): Pick<TimmEvaArch, 'mlpWidth' | 'attnPoolMlpWidth'> => ({
  mlpWidth: Math.floor(width * e.mlpRatio),
  attnPoolMlpWidth: e.pool === 'map' ? Math.floor(width * 4) : 0,
});

/** The architecture behind a timm Eva model name, or null for names this exporter does not know. */
export function timmEvaArch(name: string): TimmEvaArch | null {
  const e = ARCHS[name];
  if (!e) return null;
  const { mlpRatio: _ratio, ...rest } = e;
  return { ...rest, ...sized(e, e.width) };
}

/**
 * The named structure at the checkpoint's size: timm.create_model takes embed_dim, depth and img_size
 * overrides, so width, depth and MLP width are read from the weights (head width stays the entry
 * point's, giving the head count); the image size is the config's.
 */
export function fitEvaToWeights<T extends TimmEvaArch>(arch: T, source: WeightSource): T {
  const t = 'visual.trunk.';
  const conv = source.info(`${t}patch_embed.proj.weight`)?.shape;
  if (!conv || conv.length !== 4) return arch;
  const width = conv[0] as number;
  const headDim = arch.width / arch.heads;
  let depth = 0;
  while (source.info(`${t}blocks.${depth}.norm1.weight`)) depth++;
  const fc2 = source.info(`${t}blocks.0.mlp.fc2.weight`)?.shape;
  const poolFc1 = source.info(`${t}attn_pool.mlp.fc1.weight`)?.shape;
  const fits = width % headDim === 0 && depth > 0;
  if (!fits) return arch; // the weight check then lists what does not fit
  return {
    ...arch,
    width,
    depth,
    heads: width / headDim,
    patch: conv[2] as number,
    mlpWidth: fc2?.length === 2 ? (fc2[1] as number) : arch.mlpWidth,
    attnPoolMlpWidth: poolFc1?.length === 2 ? (poolFc1[0] as number) : arch.attnPoolMlpWidth,
  };
}
