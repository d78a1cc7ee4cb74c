import { attention, type BiasRef, type BuildCtx, i64, layerNorm, linear, mlp, type WeightRef } from './blocks.js';
import { DataType } from './proto.js';
import type { Activation } from './types.js';

/** The sizes of a timm AttentionPoolLatent (open_clip's TimmModel keeps it at visual.trunk.attn_pool). */
export interface TimmAttentionPool {
  width: number;
  heads: number;
  mlpWidth: number;
  /** its LayerNorm's eps */
  eps: number;
}

/**
 * timm AttentionPoolLatent, the MAP head of timm's ViT and Eva: one latent query over the [N·seq, W] tokens,
 * plus its MLP residual, giving [N, W] (pool_type 'token' takes the one output). The latent is a constant
 * [1, W] query row (q projection in float32, see attention()).
 */
export function timmAttentionPoolLatent(
  c: BuildCtx,
  x: string,
  seq: number,
  act: Activation,
  pool: TimmAttentionPool,
): string {
  const { g, w } = c;
  const p = 'visual.trunk.attn_pool.';
  const W = pool.width;
  const latent = w.direct(g, `${p}latent`, DataType.FLOAT, undefined, `${p}latent`);
  const q2d = g.node('Reshape', [latent, i64(c, [1, W])]);
  const kvPart = (i: number): [WeightRef, BiasRef] => [
    { name: `${p}kv.weight`, layout: 'torch', rows: [i * W, (i + 1) * W] },
    { name: `${p}kv.bias`, range: [i * W, (i + 1) * W] },
  ];
  const scale = 1 / Math.sqrt(W / pool.heads);
  const pooled = attention(c, q2d, x, {
    hint: `${p}attn`,
    dim: W,
    outDim: W,
    qIn: W,
    kvIn: W,
    heads: pool.heads,
    lq: 1,
    lk: seq,
    sharedQuery: true,
    weights: {
      q: [
        { name: `${p}q.weight`, layout: 'torch', scale },
        { name: `${p}q.bias`, scale },
      ],
      k: kvPart(0),
      v: kvPart(1),
      out: [{ name: `${p}proj.weight`, layout: 'torch' }, { name: `${p}proj.bias` }],
    },
  }); // [N·1, W] = [N, W]
  const hidden = mlp(
    c,
    layerNorm(c, pooled, `${p}norm`, pool.eps),
    `${p}mlp.fc1`,
    `${p}mlp.fc2`,
    W,
    pool.mlpWidth,
    act,
  );
  return g.node('Add', [pooled, hidden]);
}

/** open_clip's TimmModel head.proj over the pooled features [N, width] (timm_proj 'linear'). */
export function timmHeadProj(
  c: BuildCtx,
  s: { width: number; outputDim: number; projBias: boolean },
  pooled: string,
): string {
  return linear(
    c,
    pooled,
    'visual.head.proj',
    s.width,
    s.outputDim,
    { name: 'visual.head.proj.weight', layout: 'torch' },
    s.projBias ? { name: 'visual.head.proj.bias' } : null,
  );
}
