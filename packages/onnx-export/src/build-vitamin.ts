import { activation, type BlockNames, type BuildCtx, i64, layerNorm, linear, reduce, transformer } from './blocks.js';
import { conv, layerNorm2d } from './build-convnext.js';
import { timmHead } from './timm-head.js';
import { mbConvMid, type ViTaminSpec, viTaminGrid } from './timm-vitamin.js';
import type { Activation } from './types.js';

const EPS = 1e-6; // every ViTamin norm: LayerNorm2d in the conv stages, LayerNorm in the ViT and GeGLU

/** MbConvLNBlock: shortcut(x) + 1×1(act(dw3×3(act(1×1(LN2d(x)))))), the dw conv strided in a stage's first block. */
function mbConv(c: BuildCtx, x: string, p: string, inCh: number, out: number, stride: number, act: Activation) {
  const { g } = c;
  let shortcut = x;
  if (stride === 2) {
    // Downsample2d: AvgPool2d(3, 2, 1, count_include_pad=False), then a 1×1 expand when widths differ
    shortcut = g.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
    if (inCh !== out) shortcut = conv(c, shortcut, `${p}shortcut.expand`, 1, {});
  } else if (inCh !== out) shortcut = conv(c, x, `${p}shortcut`, 1, {});
  const mid = mbConvMid(out);
  let y = activation(c, conv(c, layerNorm2d(c, x, `${p}pre_norm`, EPS), `${p}conv1_1x1`, 1, {}), act);
  y = activation(c, conv(c, y, `${p}conv2_kxk`, 3, { stride, pad: 1, group: mid }), act);
  return g.node('Add', [conv(c, y, `${p}conv3_1x1`, 1, {}), shortcut]);
}

/** timm's GeGluMlp on ln_2 output rows: w2(act(w0(LN(h))) · w1(LN(h))). */
function geglu(c: BuildCtx, h: string, p: string, d: number, hidden: number, act: Activation): string {
  const n = layerNorm(c, h, `${p}norm`, EPS);
  const lin = (name: string, i: number, o: number, x: string) =>
    linear(c, x, `${p}${name}`, i, o, { name: `${p}${name}.weight`, layout: 'torch' }, { name: `${p}${name}.bias` });
  const gated = c.g.node('Mul', [activation(c, lin('w0', d, hidden, n), act), lin('w1', d, hidden, n)]);
  return lin('w2', hidden, d, gated);
}

/**
 * open_clip TimmModel over timm's ViTamin: MbConv stem (conv, LN2d + act, conv) and two MbConv stages,
 * a LayerNorm2d + 3×3 stride-2 conv to the ViT width, tokens (+ position embedding), pre-LN blocks with
 * GeGLU MLPs, token average pool, fc_norm, then open_clip's head.
 */
export function buildViTamin(c: BuildCtx, s: ViTaminSpec, pixels: string, act: Activation): string {
  const { g } = c;
  const b = 'visual.trunk.patch_embed.backbone.';
  let x = conv(c, pixels, `${b}stem.conv1`, 3, { stride: 2, pad: 1 });
  x = conv(c, activation(c, layerNorm2d(c, x, `${b}stem.norm1`, EPS), act), `${b}stem.conv2`, 3, { pad: 1 });
  let inCh = s.stem;
  s.dims.forEach((out, i) => {
    for (let j = 0; j < (s.depths[i] as number); j++) {
      x = mbConv(c, x, `${b}stages.${i}.${j}.`, inCh, out, j === 0 ? 2 : 1, act);
      inCh = out;
    }
  });
  x = conv(c, layerNorm2d(c, x, `${b}pool.norm`, EPS), `${b}pool.proj`, 3, { stride: 2, pad: 1 });
  const W = s.width;
  const L = viTaminGrid(s.image) ** 2;
  let tokens = g.node('Transpose', [g.node('Reshape', [x, i64(c, [0, W, L])])], { perm: [0, 2, 1] });
  if (s.posEmbed) tokens = g.node('Add', [tokens, c.w.direct(g, 'visual.trunk.pos_embed', c.cdt)]);
  const blocks: BlockNames[] = Array.from({ length: s.layers }, (_, i) => {
    const p = `visual.trunk.blocks.${i}.`;
    return {
      ln1: `${p}norm1`,
      qkvWeight: `${p}attn.qkv.weight`,
      qkvBias: `${p}attn.qkv.bias`,
      outWeight: `${p}attn.proj.weight`,
      outBias: `${p}attn.proj.bias`,
      ln2: `${p}norm2`,
      fc1: `${p}mlp.w0`,
      fc2: `${p}mlp.w2`,
    };
  });
  const y = transformer(c, g.node('Reshape', [tokens, i64(c, [-1, W])]), blocks, {
    width: W,
    heads: s.heads,
    mlp: s.mlpWidth,
    seq: L,
    eps: EPS,
    act,
    causal: false,
    ffn: (i, h) => geglu(c, h, `visual.trunk.blocks.${i}.mlp.`, W, s.mlpWidth, act),
  });
  const pooled = reduce(c, 'ReduceMean', g.node('Reshape', [y, i64(c, [-1, L, W])]), [1], false);
  return timmHead(c, layerNorm(c, pooled, 'visual.trunk.fc_norm', EPS), W, s, act);
}
