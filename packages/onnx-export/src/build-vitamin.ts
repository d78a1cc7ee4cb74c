import { activation, type BuildCtx, i64, layerNorm, linear, reduce, timmBlock, transformer } from './blocks.js';
import { conv, layerNorm2d } from './build-convnext.js';
import { timmHead } from './timm-head.js';
import { mbConvMid, type ViTaminSpec, viTaminGrid } from './timm-vitamin.js';
import type { Activation } from './types.js';

const EPS = 1e-6; // every ViTamin norm: LayerNorm2d in the conv stages, LayerNorm in the ViT and GeGLU

/** MbConvLNBlock: shortcut(x) + 1×1(act(dw3×3(act(1×1(LN2d(x)))))), the dw conv strided in a stage's first block. */
function mbConv(ctx: BuildCtx, x: string, p: string, inCh: number, out: number, stride: number, act: Activation) {
  const { graph } = ctx;
  let shortcut = x;
  if (stride === 2) {
    // Downsample2d: AvgPool2d(3, 2, 1, count_include_pad=False), then a 1×1 expand when widths differ
    shortcut = graph.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
    if (inCh !== out) shortcut = conv(ctx, shortcut, `${p}shortcut.expand`, 1, {});
  } else if (inCh !== out) shortcut = conv(ctx, x, `${p}shortcut`, 1, {});
  const mid = mbConvMid(out);
  let y = activation(ctx, conv(ctx, layerNorm2d(ctx, x, `${p}pre_norm`, EPS), `${p}conv1_1x1`, 1, {}), act);
  y = activation(ctx, conv(ctx, y, `${p}conv2_kxk`, 3, { stride, pad: 1, group: mid }), act);
  return graph.node('Add', [conv(ctx, y, `${p}conv3_1x1`, 1, {}), shortcut]);
}

/** timm's GeGluMlp on ln_2 output rows: w2(act(w0(LN(h))) · w1(LN(h))). */
function geglu(ctx: BuildCtx, h: string, p: string, d: number, hidden: number, act: Activation): string {
  const n = layerNorm(ctx, h, `${p}norm`, EPS);
  const lin = (name: string, i: number, o: number, x: string) =>
    linear(ctx, x, `${p}${name}`, i, o, { name: `${p}${name}.weight`, layout: 'torch' }, { name: `${p}${name}.bias` });
  const gated = ctx.graph.node('Mul', [activation(ctx, lin('w0', d, hidden, n), act), lin('w1', d, hidden, n)]);
  return lin('w2', hidden, d, gated);
}

/**
 * open_clip TimmModel over timm's ViTamin: MbConv stem (conv, LN2d + act, conv) and two MbConv stages,
 * a LayerNorm2d + 3×3 stride-2 conv to the ViT width, tokens (+ position embedding), pre-LN blocks with
 * GeGLU MLPs, token average pool, fc_norm, then open_clip's head.
 */
export function buildViTamin(ctx: BuildCtx, spec: ViTaminSpec, pixels: string, act: Activation): string {
  const { graph } = ctx;
  const b = 'visual.trunk.patch_embed.backbone.';
  let x = conv(ctx, pixels, `${b}stem.conv1`, 3, { stride: 2, pad: 1 });
  x = conv(ctx, activation(ctx, layerNorm2d(ctx, x, `${b}stem.norm1`, EPS), act), `${b}stem.conv2`, 3, { pad: 1 });
  let inCh = spec.stem;
  spec.dims.forEach((out, i) => {
    for (let j = 0; j < (spec.depths[i] as number); j++) {
      x = mbConv(ctx, x, `${b}stages.${i}.${j}.`, inCh, out, j === 0 ? 2 : 1, act);
      inCh = out;
    }
  });
  x = conv(ctx, layerNorm2d(ctx, x, `${b}pool.norm`, EPS), `${b}pool.proj`, 3, { stride: 2, pad: 1 });
  const W = spec.width;
  const L = viTaminGrid(spec.image) ** 2;
  let tokens = graph.node('Transpose', [graph.node('Reshape', [x, i64(ctx, [0, W, L])])], { perm: [0, 2, 1] });
  if (spec.posEmbed)
    tokens = graph.node('Add', [tokens, ctx.weights.direct(graph, 'visual.trunk.pos_embed', ctx.computeType)]);
  const blocks = Array.from({ length: spec.layers }, (_, i) =>
    timmBlock(`visual.trunk.blocks.${i}.`, { fc1: 'mlp.w0', fc2: 'mlp.w2' }),
  );
  const y = transformer(ctx, graph.node('Reshape', [tokens, i64(ctx, [-1, W])]), blocks, {
    width: W,
    heads: spec.heads,
    mlp: spec.mlpWidth,
    seq: L,
    eps: EPS,
    act,
    causal: false,
    ffn: (i, h) => geglu(ctx, h, `visual.trunk.blocks.${i}.mlp.`, W, spec.mlpWidth, act),
  });
  const pooled = reduce(ctx, 'ReduceMean', graph.node('Reshape', [y, i64(ctx, [-1, L, W])]), [1], false);
  return timmHead(ctx, layerNorm(ctx, pooled, 'visual.trunk.fc_norm', EPS), W, spec, act);
}
