import type { Activation, WeightSource } from './types.js';

/** A timm ConvNeXt trunk (patch-4 stem, four stages of 7×7 depthwise blocks) under open_clip's TimmModel head. */
export interface ConvNextSpec {
  kind: 'convnext';
  depths: number[];
  dims: number[];
  image: number;
  /** LayerNorm epsilon of every norm in the trunk (timm's norm_eps; 1e-6 unless the entry point sets it). */
  eps: number;
  /** open_clip's head after the trunk's pool and norm: head.proj (linear) or head.mlp (fc1 → GELU → fc2). */
  proj: 'linear' | 'mlp';
  projBias: boolean;
  outputDim: number;
  activation: Activation;
}

/** Arguments of timm's convnext_* entry points (timm/models/convnext.py) that open_clip configs name. */
const ARCHS: Record<string, { depths: number[]; dims: number[]; eps: number }> = {
  convnext_tiny: { depths: [3, 3, 9, 3], dims: [96, 192, 384, 768], eps: 1e-6 },
  convnext_small: { depths: [3, 3, 27, 3], dims: [96, 192, 384, 768], eps: 1e-6 },
  convnext_base: { depths: [3, 3, 27, 3], dims: [128, 256, 512, 1024], eps: 1e-6 },
  convnext_large: { depths: [3, 3, 27, 3], dims: [192, 384, 768, 1536], eps: 1e-6 },
  convnext_xlarge: { depths: [3, 3, 27, 3], dims: [256, 512, 1024, 2048], eps: 1e-6 },
  convnext_xxlarge: { depths: [3, 4, 30, 3], dims: [384, 768, 1536, 3072], eps: 1e-5 },
};

/** The trunk behind a timm ConvNeXt name, or null for names this exporter does not know. */
export function timmConvNextArch(name: string): { depths: number[]; dims: number[]; eps: number } | null {
  const a = ARCHS[name];
  return a ? { depths: [...a.depths], dims: [...a.dims], eps: a.eps } : null;
}

/**
 * Stage depths and widths as the checkpoint holds them (a ConvNeXt "at any size": the same entry point
 * built with other depths/dims). Stages without any block keep the named model's values, so the weight
 * check reports their keys as missing.
 */
export function convNextFromWeights(spec: ConvNextSpec, source: WeightSource): ConvNextSpec {
  const depths = [...spec.depths];
  const dims = [...spec.dims];
  const blockIndex = /^visual\.trunk\.stages\.(\d+)\.blocks\.(\d+)\./;
  const seen = new Map<number, number>();
  for (const name of source.names()) {
    const m = blockIndex.exec(name);
    if (!m) continue;
    const stage = Number(m[1]);
    seen.set(stage, Math.max(seen.get(stage) ?? 0, Number(m[2]) + 1));
  }
  for (let i = 0; i < depths.length; i++) {
    const n = seen.get(i);
    if (n === undefined) continue;
    depths[i] = n;
    const dw = source.info(`visual.trunk.stages.${i}.blocks.0.conv_dw.weight`);
    if (dw?.shape.length === 4) dims[i] = dw.shape[0] as number;
  }
  return { ...spec, depths, dims };
}
