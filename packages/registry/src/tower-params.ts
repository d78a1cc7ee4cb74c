import fastvitMci from './fastvit-mci.json' with { type: 'json' };
import type { ModelCfg } from './types.js';

type Cfg = Record<string, unknown>;
const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);
const linear = (inDim: number, outDim: number, bias = true) => inDim * outDim + (bias ? outDim : 0);
const conv = (inCh: number, outCh: number, kernel: number, bias: boolean) =>
  inCh * outCh * kernel * kernel + (bias ? outCh : 0);
/** Pre-LN transformer block: two LayerNorms, fused qkv and output projections, an MLP of `hidden`. */
const block = (w: number, hidden: number, layerScale = false) =>
  4 * w + linear(w, 3 * w) + linear(w, w) + linear(w, hidden) + linear(hidden, w) + (layerScale ? 2 * w : 0);
const side = (size: unknown, d: number): [number, number] =>
  Array.isArray(size) ? [Number(size[0]), Number(size[1])] : [num(size, d), num(size, d)];

/** open_clip's native VisionTransformer (conv patch embedding without bias, class token, ln_pre, ln_post, proj). */
function nativeVitParams(v: Cfg, embedDim: number): number {
  const w = num(v.width, 768);
  const [ih, iw] = side(v.image_size, 224);
  const [ph, pw] = side(v.patch_size, 16);
  const hidden = Math.floor(w * num(v.mlp_ratio, 4));
  let n = 3 * ph * pw * w + w + (Math.floor(ih / ph) * Math.floor(iw / pw) + 1) * w;
  if (v.no_ln_pre !== true) n += 2 * w;
  n += num(v.layers, 12) * block(w, hidden, v.ls_init_value != null);
  let poolDim = w;
  if (v.attentional_pool) {
    // AttentionalPooler: queries, MultiheadAttention with kdim = vdim = width, ln_q, ln_k (a second for 'parallel')
    const d = embedDim;
    const pooler = (queries: number) => queries * d + 2 * d * d + 2 * d * w + 4 * d + 2 * d + 2 * w;
    n += pooler(num(v.attn_pooler_queries, 256));
    if (typeof v.attentional_pool === 'string') n += pooler(1);
    poolDim = d;
  }
  return n + 2 * poolDim + poolDim * embedDim;
}

// Sizes of timm's SigLIP ViTs (timm/models/vision_transformer.py): width, depth, MLP width.
const SIGLIP_SIZES: Record<string, { width: number; depth: number; hidden: number }> = {
  base: { width: 768, depth: 12, hidden: 3072 },
  large: { width: 1024, depth: 24, hidden: 4096 },
  so400m: { width: 1152, depth: 27, hidden: 4304 },
  giantopt: { width: 1536, depth: 40, hidden: 6144 },
};

/** timm ViT trunk without its classifier: the parts open_clip's SigLIP and MobileCLIP configs name. */
function timmVitTrunk(name: string): { params: number; width: number } | null {
  let m = /^vit_(base|large|so400m|giantopt)_patch(\d+)_siglip_(\d+)$/.exec(name);
  if (m) {
    // no class token, patch conv with bias, MAP attention-pool head (latent, q, kv, proj, norm, MLP)
    const s = SIGLIP_SIZES[m[1] as string]!;
    const [w, patch, grid] = [s.width, Number(m[2]), Math.floor(Number(m[3]) / Number(m[2]))];
    const map = w + linear(w, w) + linear(w, 2 * w) + linear(w, w) + 2 * w + linear(w, s.hidden) + linear(s.hidden, w);
    return {
      params: conv(3, w, patch, true) + grid * grid * w + s.depth * block(w, s.hidden) + 2 * w + map,
      width: w,
    };
  }
  m = /^vit_large_patch(\d+)_clip_(\d+)$/.exec(name);
  if (m) {
    // OpenAI-CLIP layout: bias-free patch conv, class token, positions with its slot, norm_pre, final norm
    const [w, patch] = [1024, Number(m[1])];
    const grid = Math.floor(Number(m[2]) / patch);
    return { params: conv(3, w, patch, false) + w + (grid * grid + 1) * w + 24 * block(w, 4 * w) + 4 * w, width: w };
  }
  m = /^vit_base_mci_(\d+)$/.exec(name);
  if (m) {
    // MobileCLIP-B: convolutional stem (4×4/s4, 2×2/s2 with BatchNorm, then 2×2/s2 with bias), class token
    // outside the position table (no_embed_class), final norm
    const w = 768;
    const q = w / 4;
    const stem = conv(3, q, 4, false) + 2 * q + conv(q, q, 2, false) + 2 * q + conv(q, w, 2, true);
    const grid = Math.floor(Number(m[1]) / 16);
    return { params: stem + w + grid * grid * w + 12 * block(w, 4 * w) + 2 * w, width: w };
  }
  return null;
}

// MobileCLIP's FastViT MCi variants (timm/models/fastvit.py): blocks, widths and MLP ratio per stage, which
// stages use attention (the others RepMixer) and a conditional position encoding, which downsampling patch
// embeddings have squeeze-excite, and whether the stem has 1×1 scale branches.
const FASTVIT_MCI: Record<
  string,
  { layers: number[]; dims: number[]; mlp: number; attention: number; se: number[]; stemScale: boolean }
> = fastvitMci;

/** timm's make_divisible with round_limit 0 (squeeze-excite widths). */
const divisible = (v: number, divisor: number) => Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
/** Squeeze-excite: 1×1 reduce and expand convs with bias. */
const squeezeExcite = (c: number, rd: number) => 2 * c * rd + rd + c;
const bn = (c: number) => 2 * c;

/**
 * MobileOne block as open_clip builds it (train-time branches unfused): identity BatchNorm when shapes allow,
 * one k×k conv + BN, a 1×1 scale conv + BN when k > 1; `groups` as in timm (group_size 1: per input channel).
 */
function mobileOne(
  inCh: number,
  outCh: number,
  k: number,
  o: { stride?: number; groups?: number; scale?: boolean; branches?: number },
): number {
  const groups = o.groups ?? 1;
  let n = outCh === inCh && (o.stride ?? 1) === 1 ? bn(inCh) : 0;
  n += (o.branches ?? 1) * ((inCh / groups) * outCh * k * k + bn(outCh));
  if (k > 1 && o.scale !== false) n += (inCh / groups) * outCh + bn(outCh);
  return n;
}

/** FastViT MCi trunk without its classifier: stem, stages, final conv with squeeze-excite. */
function fastvitTrunk(name: string): { params: number; width: number } | null {
  const a = FASTVIT_MCI[name];
  if (!a) return null;
  const d0 = a.dims[0] as number;
  let n = mobileOne(3, d0, 3, { stride: 2, scale: a.stemScale });
  n += mobileOne(d0, d0, 3, { stride: 2, groups: d0, scale: a.stemScale }) + mobileOne(d0, d0, 1, {});
  const convMlp = (d: number) => d * 49 + bn(d) + linear(d, d * a.mlp) + linear(d * a.mlp, d);
  a.dims.forEach((d, i) => {
    if (i > 0) {
      // PatchEmbed: 7×7 and 3×3 stride-2 convs grouped per input channel (+ squeeze-excite), then a 1×1 MobileOne
      n += d * 49 + bn(d) + d * 9 + bn(d) + (a.se.includes(i) ? squeezeExcite(d, divisible(d / 4, 8)) : 0);
      n += mobileOne(d, d, 1, {});
    }
    const blocks = a.layers[i] as number;
    if (i >= a.attention) {
      // conditional position encoding (7×7 depthwise conv with bias); attention blocks: norm, qkv, proj, 2 layer scales
      n += d * 49 + d + blocks * (bn(d) + 3 * d * d + linear(d, d) + 2 * d + convMlp(d));
    } else {
      // RepMixer blocks: identity-BN norm, depthwise 3×3 mixer, 2 layer scales
      const mixer = bn(d) + mobileOne(d, d, 3, { groups: d }) + d;
      n += blocks * (mixer + convMlp(d) + d);
    }
  });
  const last = a.dims[a.dims.length - 1] as number;
  const width = 2 * last;
  n += mobileOne(last, width, 3, { groups: last }) + squeezeExcite(width, Math.round(width / 16));
  return { params: n, width };
}

// timm's EVA / EVA02 CLIP trunks (timm/models/eva.py): width, depth, MLP width, SwiGLU MLP with its own
// LayerNorm and a LayerNorm inside attention (EVA02 B and L) or a plain GELU MLP (EVA01 g, EVA02 E).
const EVA: Record<string, { width: number; depth: number; hidden: number; swiglu: boolean }> = {
  eva_giant: { width: 1408, depth: 40, hidden: 6144, swiglu: false },
  eva02_base: { width: 768, depth: 12, hidden: 2048, swiglu: true },
  eva02_large: { width: 1024, depth: 24, hidden: 2730, swiglu: true },
  eva02_enormous: { width: 1792, depth: 64, hidden: 15360, swiglu: false },
};

/** EVA trunk: patch conv with bias, class token, positions with its slot, blocks (q and v biases), final norm. */
function evaTrunk(name: string): { params: number; width: number } | null {
  const m = /^(eva_giant|eva02_base|eva02_large|eva02_enormous)_patch(\d+)(?:_clip)?_(\d+)$/.exec(name);
  const a = m ? EVA[m[1] as string] : undefined;
  if (!m || !a) return null;
  const [w, h, patch] = [a.width, a.hidden, Number(m[2])];
  const grid = Math.floor(Number(m[3]) / patch);
  const attn = 3 * w * w + 2 * w + linear(w, w) + (a.swiglu ? 2 * w : 0);
  const mlp = a.swiglu ? 2 * linear(w, h) + 2 * h + linear(h, w) : linear(w, h) + linear(h, w);
  return {
    params: conv(3, w, patch, true) + w + (grid * grid + 1) * w + a.depth * (4 * w + attn + mlp) + 2 * w,
    width: w,
  };
}

// timm's ConvNeXt entry points (timm/models/convnext.py): blocks and width per stage.
const CONVNEXT: Record<string, { depths: number[]; dims: number[] }> = {
  convnext_tiny: { depths: [3, 3, 9, 3], dims: [96, 192, 384, 768] },
  convnext_small: { depths: [3, 3, 27, 3], dims: [96, 192, 384, 768] },
  convnext_base: { depths: [3, 3, 27, 3], dims: [128, 256, 512, 1024] },
  convnext_large: { depths: [3, 3, 27, 3], dims: [192, 384, 768, 1536] },
  convnext_xlarge: { depths: [3, 3, 27, 3], dims: [256, 512, 1024, 2048] },
  convnext_xxlarge: { depths: [3, 4, 30, 3], dims: [384, 768, 1536, 3072] },
};

/** ConvNeXt trunk: 4×4 patchify stem + LayerNorm, per stage a LayerNorm + 2×2 downsample, blocks, head norm. */
function convnextTrunk(name: string): { params: number; width: number } | null {
  const a = CONVNEXT[name];
  if (!a) return null;
  const first = a.dims[0] as number;
  let n = conv(3, first, 4, true) + 2 * first;
  a.dims.forEach((d, i) => {
    if (i > 0) n += 2 * (a.dims[i - 1] as number) + conv(a.dims[i - 1] as number, d, 2, true);
    // depthwise 7×7, LayerNorm, MLP ×4, layer scale
    n += (a.depths[i] as number) * (d * 49 + d + 2 * d + linear(d, 4 * d) + linear(4 * d, d) + d);
  });
  const last = a.dims[a.dims.length - 1] as number;
  return { params: n + 2 * last, width: last };
}

/** open_clip's TimmModel: the trunk, then timm's own classifier or open_clip's head as the config asks. */
function timmParams(v: Cfg, embedDim: number): number | null {
  const name = String(v.timm_model_name);
  const found = timmVitTrunk(name) ?? evaTrunk(name) ?? convnextTrunk(name) ?? fastvitTrunk(name);
  if (!found) return null;
  const trunk = { params: found.params, features: found.width };
  const proj = v.timm_proj === undefined ? 'linear' : v.timm_proj;
  const bias = v.timm_proj_bias === true;
  if (proj === 'none') return trunk.params;
  // no projection: timm's classifier (with bias) maps to embed_dim
  if (!proj) return trunk.params + linear(trunk.features, embedDim);
  if (proj === 'linear') return trunk.params + linear(trunk.features, embedDim, bias);
  if (proj === 'mlp') return trunk.params + linear(trunk.features, 2 * embedDim) + linear(2 * embedDim, embedDim, bias);
  return null;
}

/** open_clip's ModifiedResNet: 3-conv stem, Bottleneck stages (BatchNorm), attention pool with its positions. */
function modifiedResNetParams(v: Cfg, embedDim: number): number {
  const layers = v.layers as number[];
  const w = num(v.width, 64);
  const bn = (c: number) => 2 * c;
  let n =
    conv(3, w / 2, 3, false) + bn(w / 2) + conv(w / 2, w / 2, 3, false) + bn(w / 2) + conv(w / 2, w, 3, false) + bn(w);
  let inCh = w;
  layers.forEach((blocks, i) => {
    const planes = w * 2 ** i;
    for (let b = 0; b < blocks; b++) {
      n += conv(inCh, planes, 1, false) + bn(planes) + conv(planes, planes, 3, false) + bn(planes);
      n += conv(planes, 4 * planes, 1, false) + bn(4 * planes);
      // the first block of a stage downsamples (or widens) its shortcut: 1×1 conv + BatchNorm
      if (b === 0) n += conv(inCh, 4 * planes, 1, false) + bn(4 * planes);
      inCh = 4 * planes;
    }
  });
  const grid = Math.floor(num(v.image_size, 224) / 32);
  return n + (grid * grid + 1) * inCh + 3 * linear(inCh, inCh) + linear(inCh, embedDim);
}

/** open_clip's native TextTransformer (optional CoCa class token, projection matrix or Linear), or null. */
function nativeTextParams(t: Cfg, embedDim: number): number | null {
  if (t.hf_model_name) return null;
  const w = num(t.width, 512);
  const hidden = Math.floor(w * num(t.mlp_ratio, 4));
  const positions = num(t.context_length, 77) + (t.embed_cls ? 1 : 0);
  let n = num(t.vocab_size, 49408) * w + positions * w + (t.embed_cls ? w : 0);
  n += num(t.layers, 12) * block(w, hidden, t.ls_init_value != null) + 2 * w;
  if (t.proj_type !== 'none' && embedDim) n += linear(w, embedDim, t.proj_bias === true);
  return n;
}

// Public config.json values of the Hugging Face text towers open_clip names (their Hub repos): vocabulary,
// width, encoder depth, MLP width; positions and token types (BERT-like); relative-position buckets and heads,
// per-head width (mT5, gated MLP, RMS norms without bias). M2M100 (NLLB) positions are sinusoidal buffers.
type HfTower =
  | { kind: 'bert'; vocab: number; width: number; layers: number; hidden: number; positions: number; types: number }
  | { kind: 'm2m'; vocab: number; width: number; layers: number; hidden: number }
  | {
      kind: 't5';
      vocab: number;
      width: number;
      layers: number;
      hidden: number;
      heads: number;
      headDim: number;
      buckets: number;
    };
const HF_TEXT: Record<string, HfTower> = {
  'roberta-base': { kind: 'bert', vocab: 50265, width: 768, layers: 12, hidden: 3072, positions: 514, types: 1 },
  'xlm-roberta-base': { kind: 'bert', vocab: 250002, width: 768, layers: 12, hidden: 3072, positions: 514, types: 1 },
  'xlm-roberta-large': { kind: 'bert', vocab: 250002, width: 1024, layers: 24, hidden: 4096, positions: 514, types: 1 },
  'facebook/nllb-200-distilled-600M': { kind: 'm2m', vocab: 256206, width: 1024, layers: 12, hidden: 4096 },
  'facebook/nllb-200-distilled-1.3B': { kind: 'm2m', vocab: 256206, width: 1024, layers: 24, hidden: 8192 },
  'google/mt5-base': {
    kind: 't5',
    vocab: 250112,
    width: 768,
    layers: 12,
    hidden: 2048,
    heads: 12,
    headDim: 64,
    buckets: 32,
  },
  'google/mt5-xl': {
    kind: 't5',
    vocab: 250112,
    width: 2048,
    layers: 24,
    hidden: 5120,
    heads: 32,
    headDim: 64,
    buckets: 32,
  },
};

/** open_clip's HFTextEncoder: the encoder (encoder-decoder models keep only the encoder), pooler, projection. */
function hfTextParams(t: Cfg, embedDim: number): number | null {
  const a = HF_TEXT[String(t.hf_model_name)];
  if (!a) return null;
  const w = a.width;
  let n = a.vocab * w;
  if (a.kind === 'bert') {
    n += (a.positions + a.types) * w + 2 * w;
    n += a.layers * (4 * linear(w, w) + 4 * w + linear(w, a.hidden) + linear(a.hidden, w));
    if (t.hf_pooler_type === 'cls_pooler') n += linear(w, w); // the model's own pooler is kept for cls pooling
  } else if (a.kind === 'm2m') {
    n += a.layers * (4 * linear(w, w) + 4 * w + linear(w, a.hidden) + linear(a.hidden, w)) + 2 * w;
  } else {
    const inner = a.heads * a.headDim;
    n += a.layers * (4 * w * inner + 2 * w + 3 * w * a.hidden) + a.buckets * a.heads + w;
  }
  const proj = t.hf_proj_type === undefined ? 'mlp' : t.hf_proj_type;
  if (proj === 'linear' || (proj == null && w !== embedDim)) n += w * embedDim;
  else if (proj === 'mlp') n += w * Math.floor((w + embedDim) / 2) + Math.floor((w + embedDim) / 2) * embedDim;
  return n;
}

/** CoCa's MultimodalTransformer: self- and cross-attention blocks per layer, final norm, vocabulary projection. */
function multimodalDecoderParams(m: Cfg): number {
  const w = num(m.width, 512);
  const hidden = Math.floor(w * num(m.mlp_ratio, 4));
  const layers = num(m.layers, 12);
  return layers * (2 * block(w, hidden, m.ls_init_value != null) + 2 * w) + 2 * w + w * num(m.vocab_size, 49408);
}

/**
 * Parameters of an open_clip architecture counted from its config (towers, CoCa decoder, logit scale and bias):
 * native ViT / ModifiedResNet / text towers, timm SigLIP, CLIP-L, EVA, ConvNeXt and MobileCLIP trunks, Hugging
 * Face text towers. Null for towers it does not know (ViTamin and PE-Core: params.ts, config-mparams.ts).
 */
export function towerParams(cfg: ModelCfg): number | null {
  const v = cfg.vision_cfg as Cfg;
  const vision =
    typeof v.timm_model_name === 'string'
      ? timmParams(v, cfg.embed_dim)
      : Array.isArray(v.layers)
        ? modifiedResNetParams(v, cfg.embed_dim)
        : nativeVitParams(v, cfg.embed_dim);
  const t = cfg.text_cfg as Cfg;
  const text = t.hf_model_name ? hfTextParams(t, cfg.embed_dim) : nativeTextParams(t, cfg.embed_dim);
  if (vision === null || text === null) return null;
  const decoder = cfg.multimodal_cfg ? multimodalDecoderParams(cfg.multimodal_cfg as Cfg) : 0;
  return vision + text + decoder + 1 + (cfg.init_logit_bias != null ? 1 : 0);
}
