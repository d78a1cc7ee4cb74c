import { attention, type BuildCtx, i64, layerNorm, linear, reduce, residualBlock, torchLinear, vector } from './blocks.js';
import { DataType } from './proto.js';
import type { VitSpec } from './resolve-config.js';
import type { Activation } from './types.js';

/** open_clip VisionTransformer.forward: pixels [N,3,H,W] (compute dtype) -> pooled @ proj [N, embed_dim]. */
export function buildVit(c: BuildCtx, s: VitSpec, pixels: string, act: Activation): string {
  const { g, w } = c;
  const W = s.width;
  const tokens = s.grid[0] * s.grid[1];
  const conv = g.node('Conv', [pixels, w.direct(g, 'visual.conv1.weight', c.cdt)], {
    kernel_shape: s.patch,
    strides: s.patch,
  });
  const seq = g.node('Transpose', [g.node('Reshape', [conv, i64(c, [0, W, tokens])])], { perm: [0, 2, 1] });
  // The class token is a zero row padded in front plus a constant that carries class_embedding + pos[0],
  // which avoids an Expand/Concat on the dynamic batch.
  const padded = g.node('Pad', [seq, i64(c, [0, 1, 0, 0, 0, 0])]);
  const embed = w.computed(g, 'visual.embed', [tokens + 1, W], c.cdt, async () => {
    const cls = Float32Array.from(await w.f32('visual.class_embedding'));
    const pos = Float32Array.from(await w.f32('visual.positional_embedding'));
    for (let i = 0; i < W; i++) pos[i] = Math.fround((pos[i] as number) + (cls[i] as number));
    return pos;
  });
  let x = g.node('Add', [padded, embed]);
  if (s.lnPre) x = layerNorm(c, x, 'visual.ln_pre', s.eps);
  for (let i = 0; i < s.layers; i++) {
    x = residualBlock(c, x, `visual.transformer.resblocks.${i}.`, {
      width: W,
      heads: s.heads,
      mlp: s.mlpWidth,
      eps: s.eps,
      layerScale: s.layerScale,
      act,
      mask: null,
    });
  }

  let pooled: string;
  let poolDim = W;
  if (s.attnPool) {
    x = attentionalPool(c, s, x);
    poolDim = s.outputDim;
    x = layerNorm(c, x, 'visual.ln_post', s.eps);
    pooled = globalPool(c, x, s.pool);
  } else if (s.finalLnAfterPool || s.pool === 'tok') {
    // LayerNorm is per token, so for 'tok' pooling first is the same and much cheaper
    pooled = layerNorm(c, globalPool(c, x, s.pool), 'visual.ln_post', s.eps);
  } else {
    pooled = globalPool(c, layerNorm(c, x, 'visual.ln_post', s.eps), s.pool);
  }
  return linear(c, pooled, 'visual.proj', poolDim, s.outputDim, () => w.f32('visual.proj'), null);
}

function globalPool(c: BuildCtx, x: string, pool: 'tok' | 'avg'): string {
  const { g } = c;
  if (pool === 'tok') return g.node('Gather', [x, i64(c, [0], [])], { axis: 1 });
  const rest = g.node('Slice', [x, i64(c, [1]), i64(c, [2 ** 31 - 1]), i64(c, [1])]);
  return reduce(c, 'ReduceMean', rest, [1], false);
}

/** open_clip AttentionalPooler: learned queries (ln_q) attend to ln_k(x) with nn.MultiheadAttention. */
function attentionalPool(c: BuildCtx, s: VitSpec, x: string): string {
  const { w } = c;
  const e = s.outputDim;
  const W = s.width;
  const heads = s.attnPool?.heads ?? 8;
  const kv = layerNorm(c, x, 'visual.attn_pool.ln_k', s.eps);
  const query = w.direct(c.g, 'visual.attn_pool.query', c.cdt);
  const q = layerNorm(c, query, 'visual.attn_pool.ln_q', s.eps);
  const p = 'visual.attn_pool.attn.';
  const packed = W === e;
  const scale = 1 / Math.sqrt(e / heads);
  const proj = (k: 'q' | 'k' | 'v', i: number, sc?: number) =>
    packed ? torchLinear(c, `${p}in_proj_weight`, [i * e, (i + 1) * e], sc) : torchLinear(c, `${p}${k}_proj_weight`, undefined, sc);
  return attention(c, q, kv, {
    hint: 'visual.attn_pool.attn',
    dim: e,
    qIn: e,
    kvIn: W,
    heads,
    mask: null,
    sharedQuery: true,
    weights: {
      q: { weight: proj('q', 0, scale), bias: vector(c, `${p}in_proj_bias`, [0, e], scale) },
      k: { weight: proj('k', 1), bias: vector(c, `${p}in_proj_bias`, [e, 2 * e]) },
      v: { weight: proj('v', 2), bias: vector(c, `${p}in_proj_bias`, [2 * e, 3 * e]) },
      out: { weight: torchLinear(c, `${p}out_proj.weight`), bias: vector(c, `${p}out_proj.bias`) },
    },
  });
}

export const VISION_INPUT = { name: 'pixel_values', dataType: DataType.FLOAT } as const;
