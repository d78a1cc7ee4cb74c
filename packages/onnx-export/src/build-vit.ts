import {
  attention,
  type BuildCtx,
  i64,
  layerNorm,
  linear,
  openClipTransformer,
  packedQkv,
  reduce,
  type WeightRef,
} from './blocks.js';
import { DataType } from './proto.js';
import type { VitSpec } from './resolve-config.js';
import type { Activation } from './types.js';

/** open_clip VisionTransformer.forward: pixels [N,3,H,W] (compute dtype) -> pooled @ proj [N, embed_dim]. */
export function buildVit(ctx: BuildCtx, spec: VitSpec, pixels: string, act: Activation): string {
  const { graph, weights } = ctx;
  const W = spec.width;
  const L = spec.grid[0] * spec.grid[1] + 1;
  const conv = graph.node('Conv', [pixels, weights.direct(graph, 'visual.conv1.weight', ctx.computeType)], {
    kernel_shape: spec.patch,
    strides: spec.patch,
  });
  const seq = graph.node('Transpose', [graph.node('Reshape', [conv, i64(ctx, [0, W, L - 1])])], { perm: [0, 2, 1] });
  // The class token is a zero row padded in front plus a constant holding class_embedding + pos[0]:
  // no Expand/Concat on the dynamic batch.
  const padded = graph.node('Pad', [seq, i64(ctx, [0, 1, 0, 0, 0, 0])]);
  const embed = weights.computed(graph, 'visual.embed', [L, W], ctx.computeType, async () => {
    const cls = await weights.f32('visual.class_embedding');
    const pos = Float32Array.from(await weights.f32('visual.positional_embedding'));
    for (let i = 0; i < W; i++) pos[i] = Math.fround((pos[i] as number) + (cls[i] as number));
    return pos;
  });
  // The transformer runs on [N·L, W] rows so every linear layer is a single Gemm.
  let x = graph.node('Reshape', [graph.node('Add', [padded, embed]), i64(ctx, [-1, W])]);
  if (spec.lnPre) x = layerNorm(ctx, x, 'visual.ln_pre', spec.eps);
  // Class-token pooling uses one row of the last block's output.
  const tok = !spec.attnPool && spec.pool === 'tok';
  x = openClipTransformer(ctx, x, 'visual.', spec, L, act, { causal: false, ...(tok ? { onlyRow: 0 } : {}) });

  let pooled: string;
  let poolDim = W;
  if (spec.attnPool) {
    const q = spec.attnPool.queries;
    poolDim = spec.outputDim;
    const y = layerNorm(ctx, attentionalPool(ctx, spec, x, L), 'visual.ln_post', spec.eps);
    pooled = globalPool(ctx, graph.node('Reshape', [y, i64(ctx, [-1, q, poolDim])]), spec.pool);
  } else if (tok) {
    pooled = layerNorm(ctx, x, 'visual.ln_post', spec.eps); // LayerNorm is per token: the same as pooling after it
  } else if (spec.finalLnAfterPool) {
    pooled = layerNorm(
      ctx,
      globalPool(ctx, graph.node('Reshape', [x, i64(ctx, [-1, L, W])]), spec.pool),
      'visual.ln_post',
      spec.eps,
    );
  } else {
    pooled = globalPool(
      ctx,
      graph.node('Reshape', [layerNorm(ctx, x, 'visual.ln_post', spec.eps), i64(ctx, [-1, L, W])]),
      spec.pool,
    );
  }
  return linear(ctx, pooled, 'visual.proj', poolDim, spec.outputDim, { name: 'visual.proj', layout: 'matrix' }, null);
}

/** open_clip VisionTransformer._global_pool on [N, L, D]: 'tok' takes token 0, 'avg' averages the rest. */
function globalPool(ctx: BuildCtx, x: string, pool: 'tok' | 'avg'): string {
  const { graph } = ctx;
  if (pool === 'tok') return graph.node('Gather', [x, i64(ctx, [0], [])], { axis: 1 });
  const rest = graph.node('Slice', [x, i64(ctx, [1]), i64(ctx, [2 ** 31 - 1]), i64(ctx, [1])]);
  return reduce(ctx, 'ReduceMean', rest, [1], false);
}

/** open_clip AttentionalPooler: learned queries (ln_q) attend to ln_k(x); returns [N·queries, embed_dim]. */
function attentionalPool(ctx: BuildCtx, spec: VitSpec, x: string, L: number): string {
  const e = spec.outputDim;
  const W = spec.width;
  const heads = spec.attnPool?.heads ?? 8;
  const queries = spec.attnPool?.queries ?? 1;
  const p = 'visual.attn_pool.attn.';
  const kv = layerNorm(ctx, x, 'visual.attn_pool.ln_k', spec.eps);
  const float32Ctx = { ...ctx, computeType: DataType.FLOAT };
  const q = layerNorm(
    float32Ctx,
    ctx.weights.direct(ctx.graph, 'visual.attn_pool.query', DataType.FLOAT),
    'visual.attn_pool.ln_q',
    spec.eps,
  );
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
  return attention(ctx, q, kv, {
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
