import { Unsupported } from './resolve-config.js';
import type { ModelCfg } from './types.js';

/** One FastViT stage as timm's fastvit_mci* entry points define it (timm/models/fastvit.py). */
export interface FastVitStageArch {
  mixer: 'repmixer' | 'attention';
  /** A RepConditionalPosEnc (7×7 depthwise conv + skip) before the blocks. */
  posEmb: boolean;
  /** A PatchEmbed (large-kernel conv + 1×1 MobileOne) opens the stage; every stage but the first has one. */
  downsample: boolean;
  /** Squeeze-excite in the downsample's large-kernel conv. */
  seDownsample: boolean;
}

/**
 * A timm FastViT MCi trunk (MobileCLIP-S*, MobileCLIP2-S*) under open_clip's TimmModel with timm_proj null:
 * the timm classifier head projects the pooled features to embed_dim. Stage depths and widths are read
 * from the checkpoint at export time, so any size of the same structure exports.
 */
export interface FastVitSpec {
  kind: 'fastvit';
  name: string;
  stages: FastVitStageArch[];
  /** The attention blocks' norm: BatchNorm2d (MCi0-2) or LayerNorm2d eps 1e-5 (MCi3-4). */
  attnNorm: 'batchnorm' | 'layernorm';
  /** The downsample's large-kernel conv ends in GELU (lkc_use_act). */
  lkcAct: boolean;
  /** The stem's 3×3 MobileOne blocks have a 1×1 scale branch (stem_use_scale_branch; off for MCi3-4). */
  stemScaleBranch: boolean;
  image: number;
  outputDim: number;
  activation: 'gelu';
}

/**
 * A timm VisionTransformer with a class token and token pooling, as MobileCLIP uses it: vit_base_mci_224
 * (a 3-conv stem instead of the patch conv, positions without the class token) and
 * vit_large_patch14_clip_224 (CLIP-style patch conv without bias, positions with the class token, norm_pre).
 * Depth and width come from the checkpoint; the head dim is the architecture's 64.
 */
export interface MciVitSpec {
  kind: 'mci-vit';
  name: string;
  stem: 'mci-conv' | 'patch';
  patch: number;
  /** pos_embed covers the class token too (timm's no_embed_class=False). */
  posWithClass: boolean;
  preNorm: boolean;
  eps: number;
  headDim: number;
  mlpRatio: number;
  image: number;
  outputDim: number;
  activation: 'gelu';
}

const FOUR: FastVitStageArch[] = [
  { mixer: 'repmixer', posEmb: false, downsample: false, seDownsample: false },
  { mixer: 'repmixer', posEmb: false, downsample: true, seDownsample: false },
  { mixer: 'repmixer', posEmb: false, downsample: true, seDownsample: true },
  { mixer: 'attention', posEmb: true, downsample: true, seDownsample: true },
];
const FIVE: FastVitStageArch[] = [
  { mixer: 'repmixer', posEmb: false, downsample: false, seDownsample: false },
  { mixer: 'repmixer', posEmb: false, downsample: true, seDownsample: false },
  { mixer: 'repmixer', posEmb: false, downsample: true, seDownsample: false },
  { mixer: 'attention', posEmb: true, downsample: true, seDownsample: false },
  { mixer: 'attention', posEmb: true, downsample: true, seDownsample: false },
];
type FastVitArch = Pick<FastVitSpec, 'stages' | 'attnNorm' | 'stemScaleBranch'>;
const MCI_S: FastVitArch = { stages: FOUR, attnNorm: 'batchnorm', stemScaleBranch: true };
const MCI_L: FastVitArch = { stages: FIVE, attnNorm: 'layernorm', stemScaleBranch: false };
const FASTVIT: Record<string, FastVitArch> = {
  fastvit_mci0: MCI_S,
  fastvit_mci1: MCI_S,
  fastvit_mci2: MCI_S,
  fastvit_mci3: MCI_L,
  fastvit_mci4: MCI_L,
};

const num = (v: unknown, d: number): number =>
  typeof v === 'number' ? v : Array.isArray(v) && typeof v[0] === 'number' ? v[0] : d;

/** The spec of a MobileCLIP vision tower, or null when `timm_model_name` is not one of them. */
export function resolveMobileClip(model: ModelCfg, v: Record<string, unknown>): FastVitSpec | MciVitSpec | null {
  const name = String(v.timm_model_name);
  const fast = FASTVIT[name];
  const isVit = name === 'vit_base_mci_224' || name === 'vit_large_patch14_clip_224';
  if (!fast && !isVit) return null;
  const pool = v.timm_pool ?? 'avg';
  const want = fast ? 'avg' : 'token';
  if (pool !== want)
    throw new Unsupported(`timm vision tower ${name} with timm_pool=${String(pool)} is not supported (only '${want}')`);
  if (v.timm_proj != null)
    throw new Unsupported(
      `timm vision tower ${name} with timm_proj=${String(v.timm_proj)} is not supported (only null: timm's own head projects)`,
    );
  const image = num(v.image_size, 224);
  if (fast)
    return {
      kind: 'fastvit',
      name,
      ...fast,
      lkcAct: true,
      image,
      outputDim: model.embed_dim,
      activation: 'gelu',
    };
  const mci = name === 'vit_base_mci_224';
  return {
    kind: 'mci-vit',
    name,
    stem: mci ? 'mci-conv' : 'patch',
    patch: mci ? 16 : 14,
    posWithClass: !mci,
    preNorm: !mci,
    eps: mci ? 1e-6 : 1e-5,
    headDim: 64,
    mlpRatio: 4,
    image,
    outputDim: model.embed_dim,
    activation: 'gelu',
  };
}
