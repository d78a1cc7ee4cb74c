import type { WeightShapes } from './expected-weights.js';
import type { MciVitSpec } from './mobileclip-arch.js';
import type { WeightSource } from './types.js';

const T = 'visual.trunk.';

/** Sizes of a MobileCLIP timm ViT, read from its checkpoint. */
export interface MciVitDims {
  width: number;
  depth: number;
  heads: number;
  mlp: number;
  /** Output widths of the first two stem convs (vit_base_mci_224's conv stem). */
  stem: [number, number];
  grid: number;
  embed: number;
}

export function mciVitDims(spec: MciVitSpec, source: WeightSource): MciVitDims {
  const width = source.info(`${T}cls_token`)?.shape[2] ?? 0;
  let depth = 0;
  for (const n of source.names()) {
    const m = /^visual\.trunk\.blocks\.(\d+)\./.exec(n);
    if (m) depth = Math.max(depth, Number(m[1]) + 1);
  }
  const out0 = (n: string) => source.info(`${T}patch_embed.backbone.${n}.conv.weight`)?.shape[0] ?? 0;
  return {
    width,
    depth,
    heads: Math.max(1, Math.floor(width / spec.headDim)),
    mlp: Math.floor(width * spec.mlpRatio),
    stem: [out0('0'), out0('1')],
    grid: Math.floor(spec.image / spec.patch),
    embed: spec.outputDim,
  };
}

/** Every tensor of the trunk and its classifier head (the projection to embed_dim). */
export function mciVitWeights(spec: MciVitSpec, source: WeightSource): WeightShapes {
  const out: WeightShapes = new Map();
  const d = mciVitDims(spec, source);
  const w = d.width;
  const ln = (n: string) => out.set(`${n}.weight`, [w]).set(`${n}.bias`, [w]);
  const lin = (n: string, o: number, i: number) => out.set(`${n}.weight`, [o, i]).set(`${n}.bias`, [o]);
  if (spec.stem === 'mci-conv') {
    const b = `${T}patch_embed.backbone.`;
    const [c0, c1] = d.stem;
    out.set(`${b}0.conv.weight`, [c0, 3, 4, 4]);
    out.set(`${b}1.conv.weight`, [c1, c0, 2, 2]);
    for (const [i, ch] of [
      [0, c0],
      [1, c1],
    ] as const) {
      for (const k of ['weight', 'bias', 'running_mean', 'running_var']) out.set(`${b}${i}.bn.${k}`, [ch]);
      out.set(`${b}${i}.bn.num_batches_tracked`, null);
    }
    out.set(`${b}2.conv.weight`, [w, c1, 2, 2]).set(`${b}2.conv.bias`, [w]);
  } else {
    out.set(`${T}patch_embed.proj.weight`, [w, 3, spec.patch, spec.patch]);
  }
  out.set(`${T}cls_token`, [1, 1, w]);
  out.set(`${T}pos_embed`, [1, d.grid * d.grid + (spec.posWithClass ? 1 : 0), w]);
  if (spec.preNorm) ln(`${T}norm_pre`);
  for (let i = 0; i < d.depth; i++) {
    const b = `${T}blocks.${i}.`;
    ln(`${b}norm1`);
    lin(`${b}attn.qkv`, 3 * w, w);
    lin(`${b}attn.proj`, w, w);
    ln(`${b}norm2`);
    lin(`${b}mlp.fc1`, d.mlp, w);
    lin(`${b}mlp.fc2`, w, d.mlp);
  }
  ln(`${T}norm`);
  lin(`${T}head`, d.embed, w);
  return out;
}
