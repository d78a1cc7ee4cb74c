import { loadRegistryData, type ModelCfg } from '@cliphub/registry';

/** Size and cost of one model's towers: millions of parameters, GMACs per sample, and widths. */
export interface TowerCosts {
  imageMparams: number;
  textMparams: number;
  /** Multiply-accumulates per image and per caption, in billions. */
  imageGmacs: number;
  textGmacs: number;
  imageWidth: number;
  textWidth: number;
  source: string;
}

const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);

/**
 * open_clip's model_profile.csv row for an architecture (a `-quickgelu` alias uses its base's row: same
 * shapes). Its GFLOPs count 2 per multiply-accumulate (ViT-B-32's image tower: 8.82, i.e. the 4.4 GMACs
 * the ViT papers quote), so they are halved here.
 */
export function profileCosts(arch: string): TowerCosts | null {
  const archs = loadRegistryData().architectures.architectures;
  for (const name of [arch, arch.replace(/-quickgelu$/, '')]) {
    const p = archs[name]?.profile;
    if (
      p &&
      p.imageMparams != null &&
      p.textMparams != null &&
      p.imageGflops != null &&
      p.textGflops != null &&
      p.imageWidth &&
      p.textWidth
    ) {
      return {
        imageMparams: p.imageMparams,
        textMparams: p.textMparams,
        imageGmacs: p.imageGflops / 2,
        textGmacs: p.textGflops / 2,
        imageWidth: p.imageWidth,
        textWidth: p.textWidth,
        source: `open_clip 3.3.0 model_profile.csv row ${name}`,
      };
    }
  }
  return null;
}

/**
 * Parameters and MACs of open_clip's native ViT and text transformer, counted from the config
 * (12·w² weights per block; per token 12·w² MACs plus 2·n·w for attention). Returns null for ResNet,
 * timm and Hugging Face towers, whose shapes the config does not spell out.
 */
export function configCosts(cfg: ModelCfg): TowerCosts | null {
  const v = cfg.vision_cfg;
  const t = cfg.text_cfg;
  if (
    v.timm_model_name ||
    t.hf_model_name ||
    Array.isArray(v.layers) ||
    typeof v.layers !== 'number' ||
    typeof t.layers !== 'number'
  )
    return null;
  const vw = num(v.width, 768);
  const vl = v.layers as number;
  const patch = num(v.patch_size, 16);
  const size = Array.isArray(v.image_size) ? num(v.image_size[0], 224) : num(v.image_size, 224);
  const tokens = (size / patch) ** 2 + 1;
  const mlp = num(v.mlp_ratio, 4);
  const block = (w: number, ratio: number): number => 4 * w * w + 2 * ratio * w * w;
  const imageParams = vl * block(vw, mlp) + 3 * patch * patch * vw + tokens * vw + vw * cfg.embed_dim;
  const imageMacs = vl * (tokens * block(vw, mlp) + 2 * tokens * tokens * vw) + (tokens - 1) * 3 * patch * patch * vw;
  const tw = num(t.width, 512);
  const tl = t.layers as number;
  const ctx = num(t.context_length, 77);
  const vocab = num(t.vocab_size, 49408);
  const textParams = tl * block(tw, num(t.mlp_ratio, 4)) + vocab * tw + ctx * tw + tw * cfg.embed_dim;
  const textMacs = tl * (ctx * block(tw, num(t.mlp_ratio, 4)) + 2 * ctx * ctx * tw);
  return {
    imageMparams: imageParams / 1e6,
    textMparams: textParams / 1e6,
    imageGmacs: imageMacs / 1e9,
    textGmacs: textMacs / 1e9,
    imageWidth: vw,
    textWidth: tw,
    source: 'counted from the model config (native ViT and text transformer)',
  };
}
