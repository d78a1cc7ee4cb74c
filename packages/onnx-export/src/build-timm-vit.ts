import { type BuildCtx, i64, layerNorm, reduce, transformer } from './blocks.js';
import type { TimmVitSpec } from './resolve-config.js';
import { timmAttentionPoolLatent, timmHeadProj } from './timm-attention-pool.js';
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
  const G = Math.floor(s.image / s.patch);
  const L = G * G + (s.relPosDim ? 1 : 0);
  const conv = g.node(
    'Conv',
    [pixels, w.direct(g, `${t}patch_embed.proj.weight`, c.cdt), w.direct(g, `${t}patch_embed.proj.bias`, c.cdt)],
    {
      kernel_shape: [s.patch, s.patch],
      strides: [s.patch, s.patch],
    },
  );
  const seq = g.node('Transpose', [g.node('Reshape', [conv, i64(c, [0, W, G * G])])], { perm: [0, 2, 1] });
  let x = g.node('Reshape', [
    g.node('Add', s.relPosDim ? classTokenRow(c, seq, L, W) : [seq, w.direct(g, `${t}pos_embed`, c.cdt)]),
    i64(c, [-1, W]),
  ]);
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
    ...(s.relPosDim ? { attnBias: (i: number) => relPosBias(c, `${t}blocks.${i}.attn.rel_pos`, G, s.heads) } : {}),
  });
  x = layerNorm(c, x, `${t}norm`, TIMM_LN_EPS);
  if (s.pool === 'token')
    return timmHead(c, s, g.node('Gather', [g.node('Reshape', [x, i64(c, [-1, L, W])]), i64(c, [0], [])], { axis: 1 }));
  if (s.pool === 'avg')
    return timmHead(c, s, reduce(c, 'ReduceMean', g.node('Reshape', [x, i64(c, [-1, L, W])]), [1], false));

  const pool = { width: W, heads: s.heads, mlpWidth: s.mlpWidth, eps: TIMM_LN_EPS };
  return timmHead(c, s, timmAttentionPoolLatent(c, x, L, act, pool));
}

/** open_clip's TimmModel head over the pooled features [N, W]: none, or head.proj. */
function timmHead(c: BuildCtx, s: TimmVitSpec, pooled: string): string {
  return s.proj === 'none' ? pooled : timmHeadProj(c, s, pooled);
}

/** The class token in front (no absolute pos_embed): a zero row padded in, plus a constant [L, W] holding cls_token in row 0. */
function classTokenRow(c: BuildCtx, seq: string, L: number, W: number): [string, string] {
  const padded = c.g.node('Pad', [seq, i64(c, [0, 1, 0, 0, 0, 0])]);
  const embed = c.w.computed(c.g, 'visual.trunk.cls_row', [L, W], c.cdt, async () => {
    const rows = new Float32Array(L * W);
    rows.set(await c.w.f32('visual.trunk.cls_token'));
    return rows;
  });
  return [padded, embed];
}

/**
 * timm RelPosMlp ('cr' mode) evaluated at export time: for each token pair of the G×G grid, the MLP
 * (fc1, ReLU, fc2) of the signed log offsets sign(d)·ln(1+|d|) in rows and columns gives one bias per
 * head; the class token's row and column stay 0. -> [1, heads, G²+1, G²+1].
 */
function relPosBias(c: BuildCtx, p: string, G: number, heads: number): string {
  const L = G * G + 1;
  return c.w.computed(c.g, `${p}.bias`, [1, heads, L, L], c.cdt, async () => {
    const [w1, b1, w2, b2] = (await Promise.all(
      ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'].map((n) => c.w.f32(`${p}.mlp.${n}`)),
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
