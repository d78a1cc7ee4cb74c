import { type BuildCtx, i64, layerNorm, reduce, timmBlock, transformer } from './blocks.js';
import type { TimmVitSpec } from './resolve-config.js';
import { timmAttentionPoolLatent, timmHeadProj } from './timm-attention-pool.js';
import type { Activation } from './types.js';

const TIMM_LN_EPS = 1e-6; // timm.layers.LayerNorm default, which its VisionTransformer uses

/**
 * open_clip TimmModel over timm's SigLIP VisionTransformer: patch conv (with bias), positional
 * embedding, pre-LN blocks, final norm, MAP head (AttentionPoolLatent with one latent query and an
 * MLP residual), then open_clip's optional head.proj.
 */
export function buildTimmVit(ctx: BuildCtx, spec: TimmVitSpec, pixels: string, act: Activation): string {
  const { graph, weights } = ctx;
  const t = 'visual.trunk.';
  const W = spec.width;
  const G = Math.floor(spec.image / spec.patch);
  const L = G * G + (spec.relPosDim ? 1 : 0);
  const conv = graph.node(
    'Conv',
    [
      pixels,
      weights.direct(graph, `${t}patch_embed.proj.weight`, ctx.computeType),
      weights.direct(graph, `${t}patch_embed.proj.bias`, ctx.computeType),
    ],
    {
      kernel_shape: [spec.patch, spec.patch],
      strides: [spec.patch, spec.patch],
    },
  );
  const seq = graph.node('Transpose', [graph.node('Reshape', [conv, i64(ctx, [0, W, G * G])])], { perm: [0, 2, 1] });
  let x = graph.node('Reshape', [
    graph.node(
      'Add',
      spec.relPosDim ? classTokenRow(ctx, seq, L, W) : [seq, weights.direct(graph, `${t}pos_embed`, ctx.computeType)],
    ),
    i64(ctx, [-1, W]),
  ]);
  const blocks = Array.from({ length: spec.layers }, (_, i) =>
    timmBlock(`${t}blocks.${i}.`, { qkvBias: !spec.noQkvBias, layerScale: spec.layerScale }),
  );
  x = transformer(ctx, x, blocks, {
    width: W,
    heads: spec.heads,
    mlp: spec.mlpWidth,
    seq: L,
    eps: TIMM_LN_EPS,
    act,
    causal: false,
    ...(spec.relPosDim
      ? { attnBias: (i: number) => relPosBias(ctx, `${t}blocks.${i}.attn.rel_pos`, G, spec.heads) }
      : {}),
  });
  x = layerNorm(ctx, x, `${t}norm`, TIMM_LN_EPS);
  if (spec.pool === 'token')
    return timmHead(
      ctx,
      spec,
      graph.node('Gather', [graph.node('Reshape', [x, i64(ctx, [-1, L, W])]), i64(ctx, [0], [])], { axis: 1 }),
    );
  if (spec.pool === 'avg')
    return timmHead(ctx, spec, reduce(ctx, 'ReduceMean', graph.node('Reshape', [x, i64(ctx, [-1, L, W])]), [1], false));

  const pool = { width: W, heads: spec.heads, mlpWidth: spec.mlpWidth, eps: TIMM_LN_EPS };
  return timmHead(ctx, spec, timmAttentionPoolLatent(ctx, x, L, act, pool));
}

/** open_clip's TimmModel head over the pooled features [N, W]: none, or head.proj. */
function timmHead(ctx: BuildCtx, spec: TimmVitSpec, pooled: string): string {
  return spec.proj === 'none' ? pooled : timmHeadProj(ctx, spec, pooled);
}

/** The class token in front (no absolute pos_embed): a zero row padded in, plus a constant [L, W] holding cls_token in row 0. */
function classTokenRow(ctx: BuildCtx, seq: string, L: number, W: number): [string, string] {
  const padded = ctx.graph.node('Pad', [seq, i64(ctx, [0, 1, 0, 0, 0, 0])]);
  const embed = ctx.weights.computed(ctx.graph, 'visual.trunk.cls_row', [L, W], ctx.computeType, async () => {
    const rows = new Float32Array(L * W);
    rows.set(await ctx.weights.f32('visual.trunk.cls_token'));
    return rows;
  });
  return [padded, embed];
}

/**
 * timm RelPosMlp ('cr' mode) evaluated at export time: for each token pair of the G×G grid, the MLP
 * (fc1, ReLU, fc2) of the signed log offsets sign(d)·ln(1+|d|) in rows and columns gives one bias per
 * head; the class token's row and column stay 0. -> [1, heads, G²+1, G²+1].
 */
function relPosBias(ctx: BuildCtx, p: string, G: number, heads: number): string {
  const L = G * G + 1;
  return ctx.weights.computed(ctx.graph, `${p}.bias`, [1, heads, L, L], ctx.computeType, async () => {
    const [w1, b1, w2, b2] = (await Promise.all(
      ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'].map((n) => ctx.weights.f32(`${p}.mlp.${n}`)),
    )) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const hidden = b1.length;
    const logc = (d: number) => Math.fround(Math.sign(d) * Math.log(1 + Math.abs(d)));
    // one MLP output per distinct offset (dh, dw) in [-(G-1), G-1]²
    const span = 2 * G - 1;
    const table = new Float32Array(span * span * heads);
    const act = new Float32Array(hidden);
    for (let dh = 0; dh < span; dh++)
      for (let dw = 0; dw < span; dw++) {
        const [ch, cw] = [logc(dh - G + 1), logc(dw - G + 1)];
        for (let k = 0; k < hidden; k++)
          act[k] = Math.max(0, (w1[2 * k] as number) * ch + (w1[2 * k + 1] as number) * cw + (b1[k] as number));
        for (let h = 0; h < heads; h++) {
          let sum = b2[h] as number;
          for (let k = 0; k < hidden; k++) sum += (w2[h * hidden + k] as number) * (act[k] as number);
          table[(dh * span + dw) * heads + h] = sum;
        }
      }
    const out = new Float32Array(heads * L * L);
    for (let i = 0; i < G * G; i++)
      for (let j = 0; j < G * G; j++) {
        const dh = Math.floor(i / G) - Math.floor(j / G) + G - 1;
        const dw = (i % G) - (j % G) + G - 1;
        for (let h = 0; h < heads; h++)
          out[(h * L + i + 1) * L + j + 1] = table[(dh * span + dw) * heads + h] as number;
      }
    return out;
  });
}
