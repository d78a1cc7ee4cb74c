import { OnnxExportError } from './errors.js';
import type { Activation, WeightSource } from './types.js';

/**
 * A timm ViTamin trunk: MbConv stem and two MbConv stages, a strided conv to the ViT width, a ViT with
 * GeGLU MLPs (no class token), token average pool and fc_norm, under open_clip's TimmModel head.
 */
export interface ViTaminSpec {
  kind: 'vitamin';
  stem: number;
  /** Widths and depths of the two MbConv stages. */
  dims: number[];
  depths: number[];
  width: number;
  layers: number;
  heads: number;
  /** GeGLU hidden width (mlp_ratio 2). */
  mlpWidth: number;
  posEmbed: boolean;
  image: number;
  proj: 'linear' | 'mlp';
  projBias: boolean;
  outputDim: number;
  activation: Activation;
}

type Arch = Pick<ViTaminSpec, 'stem' | 'dims' | 'depths' | 'width' | 'layers' | 'heads' | 'posEmbed'>;

// Arguments of timm's vitamin_* entry points (timm/models/vitamin.py); large and large2 are the same trunk.
const FAMILY: Record<string, Arch> = {
  small: { stem: 64, dims: [64, 128], depths: [2, 4], width: 384, layers: 14, heads: 6, posEmbed: true },
  base: { stem: 128, dims: [128, 256], depths: [2, 4], width: 768, layers: 14, heads: 12, posEmbed: true },
  large: { stem: 160, dims: [160, 320], depths: [2, 4], width: 1024, layers: 31, heads: 16, posEmbed: true },
  large2: { stem: 160, dims: [160, 320], depths: [2, 4], width: 1024, layers: 31, heads: 16, posEmbed: true },
  xlarge: { stem: 192, dims: [192, 384], depths: [2, 4], width: 1152, layers: 32, heads: 16, posEmbed: false },
};
const KNOWN = new Set([
  'vitamin_small_224',
  'vitamin_base_224',
  ...['large', 'large2'].flatMap((f) => [224, 256, 336, 384].map((s) => `vitamin_${f}_${s}`)),
  ...[256, 336, 384].map((s) => `vitamin_xlarge_${s}`),
]);

/** The trunk behind a timm ViTamin name, or null for names this exporter does not know. */
export function timmViTaminArch(name: string): Arch | null {
  const fam = /^vitamin_([a-z0-9]+)_\d+$/.exec(name)?.[1];
  const a = fam && KNOWN.has(name) ? FAMILY[fam] : undefined;
  return a ? { ...a, dims: [...a.dims], depths: [...a.depths] } : null;
}

/** A 3×3 (padding 1) stride-2 conv's output side. */
export const half = (side: number): number => Math.floor((side - 1) / 2) + 1;

/** The ViT token grid side for an input side: stem, two strided stages and the strided pool conv halve it. */
export function viTaminGrid(image: number): number {
  return half(half(half(half(image))));
}

/** MbConv expansion width: timm's make_divisible(out·4, 8). */
export function mbConvMid(out: number): number {
  const v = out * 4;
  let m = Math.max(8, Math.floor((v + 4) / 8) * 8);
  if (m < 0.9 * v) m += 8;
  return m;
}

/**
 * Widths and depths as the checkpoint holds them (a ViTamin "at any size"); the head count stays the
 * named model's. Parts without keys keep the named model's values, so the weight check names them.
 */
export function viTaminFromWeights(spec: ViTaminSpec, source: WeightSource): ViTaminSpec {
  const b = 'visual.trunk.patch_embed.backbone.';
  const dim0 = (name: string) => source.info(name)?.shape[0];
  // block counts: stage i -> 1 + highest block index seen; -1 stands for the ViT blocks
  const counts = new Map<number, number>();
  const bump = (key: number, index: string | undefined) =>
    counts.set(key, Math.max(counts.get(key) ?? 0, Number(index) + 1));
  for (const n of source.names()) {
    const mb = /^visual\.trunk\.patch_embed\.backbone\.stages\.(\d+)\.(\d+)\./.exec(n);
    if (mb) bump(Number(mb[1]), mb[2]);
    const vb = /^visual\.trunk\.blocks\.(\d+)\./.exec(n);
    if (vb) bump(-1, vb[1]);
  }
  const depths = spec.depths.map((d, i) => counts.get(i) ?? d);
  const dims = spec.dims.map((d, i) => dim0(`${b}stages.${i}.0.conv3_1x1.weight`) ?? d);
  const layers = counts.get(-1) ?? spec.layers;
  const width = dim0(`${b}pool.proj.weight`) ?? spec.width;
  if (width % spec.heads !== 0) {
    throw new OnnxExportError(
      'WEIGHTS_MISMATCH',
      `weights do not match model_cfg: the ViT width ${width} does not split into ${spec.heads} heads; check that the checkpoint and the config belong to the same model`,
    );
  }
  return {
    ...spec,
    stem: dim0(`${b}stem.conv1.weight`) ?? spec.stem,
    dims,
    depths,
    width,
    layers,
    mlpWidth: 2 * width,
  };
}
