import { OnnxExportError } from './errors.js';
import { knownHfConfig } from './hf-configs.js';
import { resolveHfText, type HfTextSpec } from './resolve-hf-text.js';
import { type FastVitSpec, type MciVitSpec, resolveMobileClip } from './mobileclip-arch.js';
import { timmEvaArch, type TimmEvaArch } from './timm-eva.js';
import { type ConvNextSpec, timmConvNextArch } from './timm-convnext.js';
import { timmSiglipArch, timmVitGapArch } from './timm-siglip.js';
import { swinStages, type SwinSpec, timmSwinArch } from './timm-swin.js';
import { timmViTaminArch, type ViTaminSpec } from './timm-vitamin.js';
import type { Activation, ModelCfg } from './types.js';

export type VitPool = 'tok' | 'avg';

export interface VitSpec {
  kind: 'vit';
  width: number;
  layers: number;
  heads: number;
  mlpWidth: number;
  patch: [number, number];
  image: [number, number];
  grid: [number, number];
  lnPre: boolean;
  layerScale: boolean;
  pool: VitPool;
  finalLnAfterPool: boolean;
  attnPool: { queries: number; heads: number } | null;
  outputDim: number;
  eps: number;
  activation: Activation;
}

export interface ResNetSpec {
  kind: 'resnet';
  layers: [number, number, number, number];
  width: number;
  heads: number;
  image: number;
  outputDim: number;
  activation: 'relu';
}

export interface TimmVitSpec {
  kind: 'timm-vit';
  width: number;
  layers: number;
  heads: number;
  mlpWidth: number;
  patch: number;
  image: number;
  /** open_clip's TimmModel head: 'none' passes the MAP-pooled features through; 'linear' adds head.proj. */
  proj: 'none' | 'linear';
  projBias: boolean;
  outputDim: number;
  activation: Activation;
  /** timm's global average pool (vit_*_gap_*); absent: the MAP head. */
  pool?: 'avg' | 'token';
  relPosDim?: number;
  noQkvBias?: true;
  layerScale?: true;
}

/** A timm Eva trunk (EVA01, EVA02, PE-Core) and open_clip's head over it. */
export interface TimmEvaSpec extends TimmEvaArch {
  kind: 'timm-eva';
  name: string;
  /** 'head': the trunk's own Linear (timm_proj null); 'none': pooled features; 'linear': open_clip head.proj. */
  proj: 'head' | 'none' | 'linear';
  projBias: boolean;
  outputDim: number;
  activation: Activation;
}

export interface TextSpec {
  prefix: string;
  width: number;
  heads: number;
  layers: number;
  mlpWidth: number;
  context: number;
  vocab: number;
  causal: boolean;
  pool: 'argmax' | 'last' | 'first' | 'eos';
  eosId: number;
  proj: 'matrix' | 'linear' | 'none';
  outputDim: number;
  eps: number;
  layerScale: boolean;
  activation: Activation;
  /**
   * CoCa's text tower (embed_cls): a learned class token appended after the ids, pooled (last row, then
   * ln_final); keys are masked where ids equal padId, shifted by one unless correctClsMask (open_clip's
   * legacy CoCa mask).
   */
  cls?: { padId: number; correctClsMask: boolean };
}

/** Every kind of vision tower the exporter builds (vision-towers.ts maps each kind to its builder). */
export type VisionSpec =
  VitSpec | ResNetSpec | TimmVitSpec | ConvNextSpec | ViTaminSpec | TimmEvaSpec | FastVitSpec | MciVitSpec | SwinSpec;

/** A reason string when the config uses something the exporter does not build. */
export class Unsupported extends Error {}

const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);
const pair = (v: unknown): [number, number] =>
  Array.isArray(v) ? [Number(v[0]), Number(v[1])] : [Number(v), Number(v)];

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

const CUSTOM_BLOCK_KEYS = [
  'qk_norm',
  'scaled_cosine_attn',
  'scale_heads',
  'scale_attn_inner',
  'scale_attn',
  'scale_fc',
];

function checkCommon(cfg: Record<string, unknown>, tower: string): void {
  const custom = CUSTOM_BLOCK_KEYS.filter((k) => cfg[k] === true);
  if (cfg.block_type === 'custom' || custom.length) {
    throw new Unsupported(
      `${tower} uses open_clip's CustomResidualAttentionBlock (${custom.join(', ') || 'block_type=custom'})`,
    );
  }
  const nk = Object.keys(obj(cfg.norm_kwargs)).filter((k) => k !== 'eps');
  if (nk.length) throw new Unsupported(`${tower} norm_kwargs ${nk.join(', ')} are not supported (only eps)`);
}

/** The activation open_clip builds for a native tower (model.py _build_*_tower). */
function activationOf(quickGelu: boolean, actKwargs: unknown, tower: string): Activation {
  const kw = obj(actKwargs);
  const keys = Object.keys(kw);
  if (quickGelu) {
    // open_clip would call QuickGELU(**act_kwargs), which takes no arguments
    if (keys.length) throw new Unsupported(`${tower} act_kwargs ${keys.join(', ')} cannot apply to QuickGELU`);
    return 'quick_gelu';
  }
  if (keys.some((k) => k !== 'approximate'))
    throw new Unsupported(`${tower} act_kwargs ${keys.join(', ')} are not supported`);
  const approx = kw.approximate ?? 'none';
  if (approx === 'tanh') return 'gelu_tanh';
  if (approx === 'none') return 'gelu';
  throw new Unsupported(`${tower} act_kwargs.approximate=${String(approx)} is not a GELU mode`);
}

function checkModel(model: ModelCfg): void {
  if (typeof model.embed_dim !== 'number')
    throw new OnnxExportError(
      'BAD_CONFIG',
      'model_cfg.embed_dim is missing; pass the model_cfg object from open_clip_config.json',
    );
}

function resolveTimmEva(model: ModelCfg, v: Record<string, unknown>, arch: TimmEvaArch): TimmEvaSpec {
  const name = String(v.timm_model_name);
  const pool = v.timm_pool ?? 'avg';
  if (pool !== arch.pool)
    throw new Unsupported(
      `timm vision tower ${name} with timm_pool=${String(pool)} is not supported (only '${arch.pool}')`,
    );
  const projCfg = v.timm_proj ?? null;
  if (projCfg !== null && projCfg !== 'none' && projCfg !== 'linear')
    throw new Unsupported(
      `timm vision tower ${name} with timm_proj=${String(projCfg)} is not supported (only null, none or linear)`,
    );
  const proj = projCfg === null ? 'head' : projCfg;
  const image = pair(v.image_size ?? arch.image);
  if (image[0] !== image[1]) throw new Unsupported(`timm vision tower ${name} needs a square image_size`);
  return {
    ...arch,
    kind: 'timm-eva',
    name,
    image: image[0],
    proj,
    projBias: v.timm_proj_bias === true,
    outputDim: proj === 'none' ? arch.width : model.embed_dim,
    // timm towers ignore quick_gelu: Eva's Mlp and MAP head use nn.GELU (erf)
    activation: 'gelu',
  };
}

function resolveTimm(model: ModelCfg, v: Record<string, unknown>): TimmVitSpec | TimmEvaSpec {
  const name = String(v.timm_model_name);
  const eva = timmEvaArch(name);
  if (eva) return resolveTimmEva(model, v, eva);
  const arch = timmSiglipArch(name) ?? timmVitGapArch(name);
  if (!arch)
    throw new Unsupported(
      `timm vision tower ${name} is not supported (only timm's vit_*_siglip_* MAP-head and vit_*_gap_* ViTs are)`,
    );
  const pool = v.timm_pool ?? 'avg';
  // '' keeps the trunk's default pool (avg for the gap ViTs, token for the relpos ones)
  if (arch.pool ? pool !== '' && pool !== arch.pool : pool !== 'map')
    throw new Unsupported(
      `timm vision tower ${name} with timm_pool=${String(pool)} is not supported (only ${arch.pool ? `'' or ${arch.pool}` : "'map'"})`,
    );
  const proj = (v.timm_proj ?? 'linear') as string;
  if (proj !== 'none' && proj !== 'linear')
    throw new Unsupported(
      `timm vision tower ${name} with timm_proj=${String(proj)} is not supported (only none or linear)`,
    );
  return {
    kind: 'timm-vit',
    width: arch.width,
    layers: arch.depth,
    heads: arch.heads,
    mlpWidth: Math.floor(arch.width * arch.mlpRatio),
    patch: arch.patch,
    image: pair(v.image_size ?? arch.image)[0],
    proj,
    projBias: v.timm_proj_bias === true,
    outputDim: proj === 'none' ? arch.width : model.embed_dim,
    // timm towers ignore quick_gelu; the activation comes from the timm model definition
    activation: arch.act,
    ...(arch.pool ? { pool: arch.pool } : {}),
    ...(arch.relPosDim ? { relPosDim: arch.relPosDim } : {}),
    ...(arch.noQkvBias ? { noQkvBias: true as const } : {}),
    ...(arch.layerScale ? { layerScale: true as const } : {}),
  };
}

/**
 * open_clip's TimmModel head over a trunk that pools by itself (timm_pool '' or avg): head.proj (linear) or
 * head.mlp to embed_dim, on a square image. What ConvNeXt and ViTamin share.
 */
function timmAvgPoolHead(
  model: ModelCfg,
  v: Record<string, unknown>,
  name: string,
): { image: number; proj: 'linear' | 'mlp'; projBias: boolean; outputDim: number } {
  const pool = v.timm_pool ?? 'avg';
  // '' keeps the trunk's default pool, which is 'avg' for these trunks
  if (pool !== '' && pool !== 'avg')
    throw new Unsupported(`timm vision tower ${name} with timm_pool=${String(pool)} is not supported (only '' or avg)`);
  const proj = v.timm_proj ?? 'linear';
  if (proj !== 'linear' && proj !== 'mlp')
    throw new Unsupported(
      `timm vision tower ${name} with timm_proj=${String(proj)} is not supported (only linear or mlp)`,
    );
  const [h, w] = pair(v.image_size ?? 224);
  if (h !== w) throw new Unsupported(`timm vision tower ${name} with a non-square image_size is not supported`);
  return { image: h, proj, projBias: v.timm_proj_bias === true, outputDim: model.embed_dim };
}

type AvgPoolHead = ReturnType<typeof timmAvgPoolHead>;

/** A timm trunk's table entry (the caller has checked the name is in it) and open_clip's head over its avg pool. */
function timmTrunk<A>(
  model: ModelCfg,
  v: Record<string, unknown>,
  archOf: (name: string) => A | null,
): { arch: A; head: AvgPoolHead } {
  const name = String(v.timm_model_name);
  return { arch: archOf(name) as A, head: timmAvgPoolHead(model, v, name) };
}

/** open_clip TimmModel over timm's ConvNeXt: the trunk's own avg pool and head norm, then head.proj or head.mlp. */
function resolveConvNext(model: ModelCfg, v: Record<string, unknown>): ConvNextSpec {
  const { arch, head } = timmTrunk(model, v, timmConvNextArch);
  // timm's ConvNeXt MLPs and open_clip's head Mlp use nn.GELU; quick_gelu does not apply
  return { kind: 'convnext', ...arch, ...head, activation: 'gelu' };
}

/** open_clip TimmModel over timm's ViTamin (its own token avg pool and fc_norm), then head.proj or head.mlp. */
function resolveViTamin(model: ModelCfg, v: Record<string, unknown>): ViTaminSpec {
  const { arch, head } = timmTrunk(model, v, timmViTaminArch);
  // timm's GELU everywhere (MbConv, GeGLU, head Mlp); quick_gelu does not apply
  return { kind: 'vitamin', ...arch, mlpWidth: 2 * arch.width, ...head, activation: 'gelu' };
}

/**
 * open_clip TimmModel over timm's Swin Transformer (its own final norm and avg pool), then head.proj or
 * head.mlp. Whether the grid fits the windows is checked against the weights (swinFromWeights): timm
 * entry points are built at other window sizes.
 */
function resolveSwin(model: ModelCfg, v: Record<string, unknown>): SwinSpec {
  const { arch, head } = timmTrunk(model, v, timmSwinArch);
  // timm's Swin MLPs and open_clip's head Mlp use nn.GELU; quick_gelu does not apply
  return { kind: 'swin', ...swinStages(arch, head.image), ...head, activation: 'gelu' };
}

export function resolveVision(model: ModelCfg): VisionSpec {
  checkModel(model);
  const v = obj(model.vision_cfg);
  if (v.timm_model_name && timmSwinArch(String(v.timm_model_name))) return resolveSwin(model, v);
  if (v.timm_model_name && timmConvNextArch(String(v.timm_model_name))) return resolveConvNext(model, v);
  if (v.timm_model_name && timmViTaminArch(String(v.timm_model_name))) return resolveViTamin(model, v);
  if (v.timm_model_name) return resolveMobileClip(model, v) ?? resolveTimm(model, v);
  if (Array.isArray(v.layers)) {
    if (v.layers.length !== 4) throw new Unsupported('ModifiedResNet needs 4 stage depths in vision_cfg.layers');
    const width = num(v.width, 64);
    return {
      kind: 'resnet',
      layers: v.layers.map(Number) as [number, number, number, number],
      width,
      heads: Math.floor((width * 32) / num(v.head_width, 64)),
      image: pair(v.image_size ?? 224)[0],
      outputDim: model.embed_dim,
      activation: 'relu',
    };
  }
  checkCommon(v, 'vision_cfg');
  const pos = v.pos_embed_type ?? 'learnable';
  if (pos !== 'learnable' && pos !== 'sin_cos_2d')
    throw new Unsupported(`vision pos_embed_type=${String(pos)} is not supported`);
  if (typeof v.attentional_pool === 'string')
    throw new Unsupported(`vision attentional_pool='${v.attentional_pool}' (parallel/cascade) is not supported`);
  const pool = v.pool_type ?? 'tok';
  if (pool !== 'tok' && pool !== 'avg')
    throw new Unsupported(`vision pool_type=${String(pool)} returns tokens, not an embedding`);
  const width = num(v.width, 768);
  const image = pair(v.image_size ?? 224);
  const patch = pair(v.patch_size ?? 16);
  return {
    kind: 'vit',
    width,
    layers: num(v.layers, 12),
    heads: Math.floor(width / num(v.head_width, 64)),
    mlpWidth: Math.floor(width * num(v.mlp_ratio, 4)),
    patch,
    image,
    grid: [Math.floor(image[0] / patch[0]), Math.floor(image[1] / patch[1])],
    lnPre: v.no_ln_pre !== true,
    layerScale: v.ls_init_value != null,
    pool,
    finalLnAfterPool: v.final_ln_after_pool === true,
    attnPool: v.attentional_pool
      ? { queries: num(v.attn_pooler_queries, 256), heads: num(v.attn_pooler_heads, 8) }
      : null,
    outputDim: model.embed_dim,
    eps: num(obj(v.norm_kwargs).eps, 1e-5),
    activation: activationOf(model.quick_gelu === true, v.act_kwargs, 'vision_cfg'),
  };
}

/** What to do when an HF text tower's config.json values are neither shipped nor given. */
export function hfConfigUnknown(name: string): string {
  return `the Hugging Face config of text tower '${name}' is unknown (cliphub ships those open_clip 3.3.0 names); put the model's config.json beside the checkpoint or pass --hf-config FILE (ExportOptions.hfConfig)`;
}

/**
 * The text tower's spec. `hfConfig` (a config.json object) describes an HF text tower (text_cfg.hf_model_name);
 * without it the shipped values for the named model are used.
 */
export function resolveText(model: ModelCfg, hfConfig?: Record<string, unknown>): TextSpec | HfTextSpec {
  checkModel(model);
  const t = obj(model.text_cfg);
  if (t.hf_model_name) {
    const hf = hfConfig ?? knownHfConfig(String(t.hf_model_name));
    if (!hf) throw new Unsupported(hfConfigUnknown(String(t.hf_model_name)));
    return resolveHfText(model, t, hf);
  }
  checkCommon(t, 'text_cfg');
  const pool = t.pool_type ?? 'argmax';
  if (pool !== 'argmax' && pool !== 'last' && pool !== 'first' && pool !== 'eos') {
    throw new Unsupported(`text pool_type=${String(pool)} returns tokens, not an embedding`);
  }
  const width = num(t.width, 512);
  const none = t.proj_type === 'none' || !model.embed_dim;
  return {
    prefix: model.custom_text === true ? 'text.' : '',
    width,
    heads: num(t.heads, 8),
    layers: num(t.layers, 12),
    mlpWidth: Math.floor(width * num(t.mlp_ratio, 4)),
    context: num(t.context_length, 77),
    vocab: num(t.vocab_size, 49408),
    causal: t.no_causal_mask !== true,
    pool,
    eosId: num(t.eos_id, 2),
    proj: none ? 'none' : t.proj_bias ? 'linear' : 'matrix',
    outputDim: none ? width : model.embed_dim,
    eps: num(obj(t.norm_kwargs).eps, 1e-5),
    layerScale: t.ls_init_value != null,
    activation: activationOf(model.quick_gelu === true, t.act_kwargs, 'text_cfg'),
    ...(t.embed_cls ? { cls: { padId: num(t.pad_id, 0), correctClsMask: t.correct_cls_mask === true } } : {}),
  };
}
