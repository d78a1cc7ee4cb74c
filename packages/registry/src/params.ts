import { peCoreMparams } from './config-mparams.js';
import { towerParams } from './tower-params.js';
import type { ModelCfg } from './types.js';

// Trunk arguments of timm's vitamin_* entry points (timm/models/vitamin.py): MbConv stem and stage widths
// and depths, ViT width and depth, whether it has a position embedding; large and large2 are the same.
const VITAMIN: Record<
  string,
  { stem: number; dims: [number, number]; depths: [number, number]; width: number; layers: number; pos: boolean }
> = {
  small: { stem: 64, dims: [64, 128], depths: [2, 4], width: 384, layers: 14, pos: true },
  base: { stem: 128, dims: [128, 256], depths: [2, 4], width: 768, layers: 14, pos: true },
  large: { stem: 160, dims: [160, 320], depths: [2, 4], width: 1024, layers: 31, pos: true },
  large2: { stem: 160, dims: [160, 320], depths: [2, 4], width: 1024, layers: 31, pos: true },
  xlarge: { stem: 192, dims: [192, 384], depths: [2, 4], width: 1152, layers: 32, pos: false },
};

const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);

/** timm's make_divisible(v, 8): the MbConv expansion width. */
function divisible8(v: number): number {
  const m = Math.max(8, Math.floor((v + 4) / 8) * 8);
  return m < 0.9 * v ? m + 8 : m;
}

/** Parameters of open_clip's TimmModel over a timm ViTamin, or null for other vision towers. */
function vitaminParams(v: Record<string, unknown>, embedDim: number): number | null {
  const m = /^vitamin_([a-z0-9]+)_(\d+)$/.exec(String(v.timm_model_name ?? ''));
  const a = m ? VITAMIN[m[1] as string] : undefined;
  if (!m || !a || (v.timm_proj ?? 'linear') !== 'linear') return null;
  const conv = (i: number, o: number, k: number) => i * o * k * k + o;
  let n = conv(3, a.stem, 3) + 2 * a.stem + conv(a.stem, a.stem, 3);
  let inCh = a.stem;
  a.dims.forEach((out, s) => {
    const mid = divisible8(out * 4);
    for (let j = 0; j < (a.depths[s] as number); j++) {
      if (inCh !== out) n += conv(inCh, out, 1); // shortcut (expand) 1×1
      n += 2 * inCh + conv(inCh, mid, 1) + mid * 9 + mid + conv(mid, out, 1);
      inCh = out;
    }
  });
  const w = a.width;
  n += 2 * inCh + conv(inCh, w, 3);
  // the trunk's own image size (the name's suffix) sets the position table: four stride-2 halvings
  const half = (x: number) => Math.floor((x - 1) / 2) + 1;
  if (a.pos) n += half(half(half(half(Number(m[2]))))) ** 2 * w;
  n += a.layers * (10 * w * w + 15 * w) + 2 * w; // GeGLU blocks (mlp_ratio 2) and fc_norm
  return n + w * embedDim + (v.timm_proj_bias === true ? embedDim : 0);
}

/** Parameters of open_clip's native TextTransformer, or null for Hugging Face / CoCa towers. */
function textParams(t: Record<string, unknown>, embedDim: number): number | null {
  if (t.hf_model_name || t.embed_cls) return null;
  const w = num(t.width, 512);
  const mlp = Math.floor(w * num(t.mlp_ratio, 4));
  const layer = 4 * w * w + 4 * w + 4 * w + 2 * w * mlp + mlp + w + (t.ls_init_value != null ? 2 * w : 0);
  let n = num(t.vocab_size, 49408) * w + num(t.context_length, 77) * w + num(t.layers, 12) * layer + 2 * w;
  if (t.proj_type !== 'none') n += w * embedDim + (t.proj_bias === true ? embedDim : 0);
  return n;
}

/**
 * Millions of parameters computed from the config, for towers upstream's profile table leaves out
 * (ViTamin), or null when this function does not know a tower. Rounded like model_profile.csv.
 */
function vitaminMparams(cfg: ModelCfg): number | null {
  const vision = vitaminParams(cfg.vision_cfg, cfg.embed_dim);
  const text = textParams(cfg.text_cfg, cfg.embed_dim);
  if (vision === null || text === null) return null;
  const logit = 1 + (cfg.init_logit_bias != null ? 1 : 0);
  return Math.round((vision + text + logit) / 1e4) / 100;
}

/**
 * Millions of parameters computed from the config (rounded like model_profile.csv), for the architectures
 * upstream profiles none of (ViTamin, PE-Core, SigLIP 2, MobileCLIP, …), else null.
 */
export function mparamsFromConfig(cfg: ModelCfg): number | null {
  const counted = towerParams(cfg);
  return vitaminMparams(cfg) ?? peCoreMparams(cfg) ?? (counted === null ? null : Math.round(counted / 1e4) / 100);
}
