import {
  attention,
  type BiasRef,
  type BuildCtx,
  i64,
  layerNorm,
  linear,
  mlp,
  reduce,
  transformer,
  type WeightRef,
} from './blocks.js';
import { DataType } from './proto.js';
import type { TimmVitSpec } from './resolve-config.js';
import type { Activation } from './types.js';

const TIMM_LN_EPS = 1e-6; // timm.layers.LayerNorm default, which its VisionTransformer uses

/**
 * open_clip TimmModel over timm's SigLIP VisionTransformer: patch conv (with bias), positional
 * embedding, pre-LN blocks, final norm, MAP head (AttentionPoolLatent with one latent query and an
 * MLP residual), then open_clip's optional head.proj.
 */
export function buildTimmVit(c: BuildCtx, s: TimmVitSpec, pixels: string, act: Activation): string {
  const { g, w } = c;
  const t = 'visual.trunk.';
  const W = s.width;
  const L = Math.floor(s.image / s.patch) ** 2;
  const conv = g.node(
    'Conv',
    [pixels, w.direct(g, `${t}patch_embed.proj.weight`, c.cdt), w.direct(g, `${t}patch_embed.proj.bias`, c.cdt)],
    {
      kernel_shape: [s.patch, s.patch],
      strides: [s.patch, s.patch],
    },
  );
  const seq = g.node('Transpose', [g.node('Reshape', [conv, i64(c, [0, W, L])])], { perm: [0, 2, 1] });
  let x = g.node('Reshape', [g.node('Add', [seq, w.direct(g, `${t}pos_embed`, c.cdt)]), i64(c, [-1, W])]);
  const blocks = Array.from({ length: s.layers }, (_, i) => {
    const b = `${t}blocks.${i}.`;
    return {
      ln1: `${b}norm1`,
      qkvWeight: `${b}attn.qkv.weight`,
      ...(s.noQkvBias ? {} : { qkvBias: `${b}attn.qkv.bias` }),
      outWeight: `${b}attn.proj.weight`,
      outBias: `${b}attn.proj.bias`,
      ln2: `${b}norm2`,
      fc1: `${b}mlp.fc1`,
      fc2: `${b}mlp.fc2`,
      ...(s.layerScale ? { ls1: `${b}ls1.gamma`, ls2: `${b}ls2.gamma` } : {}),
    };
  });
  x = transformer(c, x, blocks, {
    width: W,
    heads: s.heads,
    mlp: s.mlpWidth,
    seq: L,
    eps: TIMM_LN_EPS,
    act,
    causal: false,
  });
  x = layerNorm(c, x, `${t}norm`, TIMM_LN_EPS);
  if (s.pool === 'avg')
    return timmHead(c, s, reduce(c, 'ReduceMean', g.node('Reshape', [x, i64(c, [-1, L, W])]), [1], false));

  // MAP head: the latent is a constant [1, W] query row (q projection in float32, see attention()).
  const p = `${t}attn_pool.`;
  const latent = w.direct(g, `${p}latent`, DataType.FLOAT, undefined, `${p}latent`);
  const q2d = g.node('Reshape', [latent, i64(c, [1, W])]);
  const kvPart = (i: number): [WeightRef, BiasRef] => [
    { name: `${p}kv.weight`, layout: 'torch', rows: [i * W, (i + 1) * W] },
    { name: `${p}kv.bias`, range: [i * W, (i + 1) * W] },
  ];
  const scale = 1 / Math.sqrt(W / s.heads);
  let pooled = attention(c, q2d, x, {
    hint: `${p}attn`,
    dim: W,
    outDim: W,
    qIn: W,
    kvIn: W,
    heads: s.heads,
    lq: 1,
    lk: L,
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
  }); // [N·1, W] = [N, W]: one latent, and timm's pool_type 'token' takes it
  pooled = g.node('Add', [
    pooled,
    mlp(c, layerNorm(c, pooled, `${p}norm`, TIMM_LN_EPS), `${p}mlp.fc1`, `${p}mlp.fc2`, W, s.mlpWidth, act),
  ]);
  return timmHead(c, s, pooled);
}

/** open_clip's TimmModel head over the pooled features [N, W]: none, or head.proj. */
function timmHead(c: BuildCtx, s: TimmVitSpec, pooled: string): string {
  const W = s.width;
  if (s.proj === 'none') return pooled;
  return linear(
    c,
    pooled,
    'visual.head.proj',
    W,
    s.outputDim,
    { name: 'visual.head.proj.weight', layout: 'torch' },
    s.projBias ? { name: 'visual.head.proj.bias' } : null,
  );
}
