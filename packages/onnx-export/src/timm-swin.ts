import { OnnxExportError } from './errors.js';
import type { Activation, WeightSource } from './types.js';

/**
 * A timm Swin Transformer trunk (patch embed + LayerNorm, stages of window-attention blocks with
 * PatchMerging between them, final LayerNorm, average pool) under open_clip's TimmModel head.
 */
export interface SwinSpec {
  kind: 'swin';
  patch: number;
  /** Per stage: width, block count, heads, window side (timm clamps it to the stage's grid) and MLP width. */
  dims: number[];
  depths: number[];
  heads: number[];
  windows: number[];
  mlpWidths: number[];
  image: number;
  proj: 'linear' | 'mlp';
  projBias: boolean;
  outputDim: number;
  activation: Activation;
}

type Arch = { embedDim: number; depths: number[]; heads: number[]; window: number };

// Arguments of timm's swin_*_patch4_window* entry points (timm/models/swin_transformer.py); patch 4, mlp_ratio 4.
const ARCHS: Record<string, Arch> = {
  swin_tiny_patch4_window7_224: { embedDim: 96, depths: [2, 2, 6, 2], heads: [3, 6, 12, 24], window: 7 },
  swin_small_patch4_window7_224: { embedDim: 96, depths: [2, 2, 18, 2], heads: [3, 6, 12, 24], window: 7 },
  swin_base_patch4_window7_224: { embedDim: 128, depths: [2, 2, 18, 2], heads: [4, 8, 16, 32], window: 7 },
  swin_base_patch4_window12_384: { embedDim: 128, depths: [2, 2, 18, 2], heads: [4, 8, 16, 32], window: 12 },
  swin_large_patch4_window7_224: { embedDim: 192, depths: [2, 2, 18, 2], heads: [6, 12, 24, 48], window: 7 },
  swin_large_patch4_window12_384: { embedDim: 192, depths: [2, 2, 18, 2], heads: [6, 12, 24, 48], window: 12 },
};

/** The trunk behind a timm Swin name, or null for names this exporter does not know. */
export function timmSwinArch(name: string): Arch | null {
  const a = ARCHS[name];
  return a ? { ...a, depths: [...a.depths], heads: [...a.heads] } : null;
}

/** Stage i's grid side: the patch grid, halved by each PatchMerging before stages 1, 2, ... */
export function swinSides(spec: Pick<SwinSpec, 'image' | 'patch' | 'dims'>): number[] {
  let side = spec.image / spec.patch;
  return spec.dims.map((_, i) => (i === 0 ? side : (side /= 2)));
}

/** Stage i's cyclic shift for its odd blocks: half the window, none when one window covers the grid. */
export function swinShift(side: number, window: number): number {
  return side <= window ? 0 : Math.floor(window / 2);
}

/**
 * Why the graph cannot follow timm on this geometry, or null. timm zero-pads grids that the patch,
 * PatchMerging or the window do not divide (and lets padded tokens into unshifted attention); the
 * exporter builds exact grids only.
 */
export function swinGeometryProblem(spec: Pick<SwinSpec, 'image' | 'patch' | 'dims' | 'windows'>): string | null {
  if (spec.image % spec.patch !== 0)
    return `image size ${spec.image} is not a multiple of the patch size ${spec.patch}`;
  const sides = swinSides(spec);
  for (const [i, side] of sides.entries()) {
    if (!Number.isInteger(side)) return `stage ${i} would merge an odd grid (timm pads it)`;
    const w = spec.windows[i] as number;
    if (side % w !== 0) return `stage ${i}'s ${side}x${side} grid is not a multiple of its ${w}x${w} window`;
  }
  return null;
}

/** Per-stage spec values of a named Swin at `image` pixels (the window clamped to each stage's grid, as timm does). */
export function swinStages(
  arch: Arch,
  image: number,
): Pick<SwinSpec, 'patch' | 'dims' | 'depths' | 'heads' | 'windows' | 'mlpWidths'> {
  const dims = arch.depths.map((_, i) => arch.embedDim * 2 ** i);
  const sides = swinSides({ image, patch: 4, dims });
  return {
    patch: 4,
    dims,
    depths: [...arch.depths],
    heads: [...arch.heads],
    windows: sides.map((s) => Math.min(Math.floor(s), arch.window)),
    mlpWidths: dims.map((d) => 4 * d),
  };
}

/**
 * Stage count, widths, depths, heads, windows and MLP widths as the checkpoint holds them (a Swin "at any
 * size": the entry point built with other embed_dim/depths/num_heads/window_size). Stages without blocks
 * keep the named model's values, so the weight check reports their keys as missing.
 */
export function swinFromWeights(spec: SwinSpec, source: WeightSource): SwinSpec {
  const t = 'visual.trunk.';
  const shape = (name: string) => source.info(`${t}${name}`)?.shape;
  const seen = new Map<number, number>();
  const blockIndex = /^visual\.trunk\.layers\.(\d+)\.blocks\.(\d+)\./;
  for (const name of source.names()) {
    const m = blockIndex.exec(name);
    if (m) seen.set(Number(m[1]), Math.max(seen.get(Number(m[1])) ?? 0, Number(m[2]) + 1));
  }
  const stages = seen.size ? Math.max(...seen.keys()) + 1 : spec.depths.length;
  const patch = shape('patch_embed.proj.weight')?.[2] ?? spec.patch;
  const embed = shape('patch_embed.proj.weight')?.[0] ?? (spec.dims[0] as number);
  const at = <T>(values: T[], i: number, fallback: T) => values[i] ?? fallback;
  const range = Array.from({ length: stages }, (_, i) => i);
  const dims = range.map((i) => shape(`layers.${i}.blocks.0.norm1.weight`)?.[0] ?? embed * 2 ** i);
  const depths = range.map((i) => seen.get(i) ?? at(spec.depths, i, 1));
  const table = (i: number) => shape(`layers.${i}.blocks.0.attn.relative_position_bias_table`);
  const heads = range.map((i) => table(i)?.[1] ?? at(spec.heads, i, 1));
  // the table holds (2w-1)² relative offsets of the stage's (clamped) window
  const windows = range.map((i) => {
    const rows = table(i)?.[0];
    return rows === undefined ? at(spec.windows, i, 1) : (Math.round(Math.sqrt(rows)) + 1) / 2;
  });
  const mlpWidths = range.map((i, k) => shape(`layers.${i}.blocks.0.mlp.fc1.weight`)?.[0] ?? 4 * (dims[k] as number));
  const fitted = { ...spec, patch, dims, depths, heads, windows, mlpWidths };
  for (const [i, d] of dims.entries()) {
    const h = heads[i] as number;
    const w = windows[i] as number;
    if (d % h !== 0 || !Number.isInteger(w))
      throw new OnnxExportError(
        'WEIGHTS_MISMATCH',
        `weights do not match model_cfg: Swin stage ${i} (width ${d}, ${h} heads, window ${w}) is not a valid window attention; check that the checkpoint and the config belong to the same model`,
      );
  }
  const problem = swinGeometryProblem(fitted);
  if (problem) throw new OnnxExportError('UNSUPPORTED_TOWER', `cannot export the vision tower: Swin ${problem}`);
  return fitted;
}
