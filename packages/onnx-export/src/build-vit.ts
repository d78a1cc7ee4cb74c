import {
  attention,
  type BuildCtx,
  i64,
  layerNorm,
  linear,
  openClipBlock,
  packedQkv,
  reduce,
  transformer,
  type WeightRef,
} from './blocks.js';
import { DataType } from './proto.js';
import type { VitSpec } from './resolve-config.js';
import type { Activation } from './types.js';

/** open_clip VisionTransformer.forward: pixels [N,3,H,W] (compute dtype) -> pooled @ proj [N, embed_dim]. */
export function buildVit(c: BuildCtx, s: VitSpec, pixels: string, act: Activation): string {
  const { g, w } = c;
  const W = s.width;
  const L = s.grid[0] * s.grid[1] + 1;
  const conv = g.node('Conv', [pixels, w.direct(g, 'visual.conv1.weight', c.cdt)], {
    kernel_shape: s.patch,
    strides: s.patch,
  });
  const seq = g.node('Transpose', [g.node('Reshape', [conv, i64(c, [0, W, L - 1])])], { perm: [0, 2, 1] });
  // The class token is a zero row padded in front plus a constant holding class_embedding + pos[0]:
  // no Expand/Concat on the dynamic batch.
  const padded = g.node('Pad', [seq, i64(c, [0, 1, 0, 0, 0, 0])]);
  const embed = w.computed(g, 'visual.embed', [L, W], c.cdt, async () => {
    const cls = await w.f32('visual.class_embedding');
    const pos = Float32Array.from(await w.f32('visual.positional_embedding'));
    for (let i = 0; i < W; i++) pos[i] = Math.fround((pos[i] as number) + (cls[i] as number));
    return pos;
  });
  // The transformer runs on [N·L, W] rows so every linear layer is a single Gemm.
  let x = g.node('Reshape', [g.node('Add', [padded, embed]), i64(c, [-1, W])]);
  if (s.lnPre) x = layerNorm(c, x, 'visual.ln_pre', s.eps);
  const blocks = Array.from({ length: s.layers }, (_, i) =>
    openClipBlock(`visual.transformer.resblocks.${i}.`, s.layerScale),
  );
  // Class-token pooling uses one row of the last block's output.
  const tok = !s.attnPool && s.pool === 'tok';
  x = transformer(c, x, blocks, {
    width: W,
    heads: s.heads,
    mlp: s.mlpWidth,
    seq: L,
    eps: s.eps,
    act,
    causal: false,
    ...(tok ? { onlyRow: 0 } : {}),
  });

  let pooled: string;
  let poolDim = W;
  if (s.attnPool) {
    const q = s.attnPool.queries;
    poolDim = s.outputDim;
    const y = layerNorm(c, attentionalPool(c, s, x, L), 'visual.ln_post', s.eps);
    pooled = globalPool(c, g.node('Reshape', [y, i64(c, [-1, q, poolDim])]), s.pool);
  } else if (tok) {
    pooled = layerNorm(c, x, 'visual.ln_post', s.eps); // LayerNorm is per token: the same as pooling after it
  } else if (s.finalLnAfterPool) {
    pooled = layerNorm(c, globalPool(c, g.node('Reshape', [x, i64(c, [-1, L, W])]), s.pool), 'visual.ln_post', s.eps);
  } else {
    pooled = globalPool(c, g.node('Reshape', [layerNorm(c, x, 'visual.ln_post', s.eps), i64(c, [-1, L, W])]), s.pool);
  }
  return linear(c, pooled, 'visual.proj', poolDim, s.outputDim, { name: 'visual.proj', layout: 'matrix' }, null);
}

/** open_clip VisionTransformer._global_pool on [N, L, D]: 'tok' takes token 0, 'avg' averages the rest. */
function globalPool(c: BuildCtx, x: string, pool: 'tok' | 'avg'): string {
  const { g } = c;
  if (pool === 'tok') return g.node('Gather', [x, i64(c, [0], [])], { axis: 1 });
  const rest = g.node('Slice', [x, i64(c, [1]), i64(c, [2 ** 31 - 1]), i64(c, [1])]);
  return reduce(c, 'ReduceMean', rest, [1], false);
}

/** open_clip AttentionalPooler: learned queries (ln_q) attend to ln_k(x); returns [N·queries, embed_dim]. */
function attentionalPool(c: BuildCtx, s: VitSpec, x: string, L: number): string {
  const e = s.outputDim;
  const W = s.width;
  const heads = s.attnPool?.heads ?? 8;
  const queries = s.attnPool?.queries ?? 1;
  const p = 'visual.attn_pool.attn.';
  const kv = layerNorm(c, x, 'visual.attn_pool.ln_k', s.eps);
  const c32 = { ...c, cdt: DataType.FLOAT };
  const q = layerNorm(c32, c.w.direct(c.g, 'visual.attn_pool.query', DataType.FLOAT), 'visual.attn_pool.ln_q', s.eps);
  // nn.MultiheadAttention packs q/k/v into in_proj_weight only when kdim == embed_dim
  let qkv = packedQkv(p, e, heads);
  if (W !== e) {
    const sep = (k: string, scale?: number): WeightRef => ({
      name: `${p}${k}_proj_weight`,
      layout: 'torch',
      ...(scale ? { scale } : {}),
    });
    qkv = { q: [sep('q', qkv.q[0].scale), qkv.q[1]], k: [sep('k'), qkv.k[1]], v: [sep('v'), qkv.v[1]] };
  }
  return attention(c, q, kv, {
    hint: 'visual.attn_pool.attn',
    dim: e,
    outDim: e,
    qIn: e,
    kvIn: W,
    heads,
    lq: queries,
    lk: L,
    sharedQuery: true,
    weights: { ...qkv, out: [{ name: `${p}out_proj.weight`, layout: 'torch' }, { name: `${p}out_proj.bias` }] },
  });
}
