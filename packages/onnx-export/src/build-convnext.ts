import { type BuildCtx, i64, layerNorm, mlp } from './blocks.js';
import type { ConvNextSpec } from './timm-convnext.js';
import { timmHead } from './timm-head.js';
import type { Activation } from './types.js';

/** LayerNorm over the channels of an NCHW map (timm's LayerNorm2d): NHWC, normalize the last axis, back. */
export function layerNorm2d(c: BuildCtx, x: string, name: string, eps: number): string {
  const { g } = c;
  const nhwc = g.node('Transpose', [x], { perm: [0, 2, 3, 1] });
  return g.node('Transpose', [layerNorm(c, nhwc, name, eps)], { perm: [0, 3, 1, 2] });
}

export function conv(
  c: BuildCtx,
  x: string,
  name: string,
  k: number,
  o: { stride?: number; pad?: number; group?: number },
) {
  const { g, w } = c;
  const pad = o.pad ?? 0;
  return g.node('Conv', [x, w.direct(g, `${name}.weight`, c.cdt), w.direct(g, `${name}.bias`, c.cdt)], {
    kernel_shape: [k, k],
    strides: [o.stride ?? 1, o.stride ?? 1],
    pads: [pad, pad, pad, pad],
    ...(o.group ? { group: o.group } : {}),
  });
}

/**
 * One ConvNeXt block on an NCHW map of `side`×`side`: x + γ·fc2(act(fc1(LN(dwconv7(x))))), the MLP
 * channels-last on [N·H·W, C] rows (Gemm, so int8 quantizes it like any linear); γ folds into fc2.
 */
function block(c: BuildCtx, x: string, p: string, d: number, side: number, eps: number, act: Activation): string {
  const { g } = c;
  const dw = conv(c, x, `${p}conv_dw`, 7, { pad: 3, group: d });
  const rows = g.node('Reshape', [g.node('Transpose', [dw], { perm: [0, 2, 3, 1] }), i64(c, [-1, d])]);
  const y = mlp(c, layerNorm(c, rows, `${p}norm`, eps), `${p}mlp.fc1`, `${p}mlp.fc2`, d, 4 * d, act, {
    gamma: `${p}gamma`,
  });
  const nchw = g.node('Transpose', [g.node('Reshape', [y, i64(c, [-1, side, side, d])])], { perm: [0, 3, 1, 2] });
  return g.node('Add', [x, nchw]);
}

/**
 * open_clip TimmModel over timm's ConvNeXt: patch-4 stem + LayerNorm2d, four stages (LayerNorm2d and a
 * 2×2 stride-2 conv between them), global average pool, the trunk head's LayerNorm, then open_clip's
 * head.proj or head.mlp.
 */
export function buildConvNext(c: BuildCtx, s: ConvNextSpec, pixels: string, act: Activation): string {
  const { g } = c;
  const t = 'visual.trunk.';
  let x = layerNorm2d(c, conv(c, pixels, `${t}stem.0`, 4, { stride: 4 }), `${t}stem.1`, s.eps);
  let side = Math.floor(s.image / 4);
  s.dims.forEach((d, i) => {
    const st = `${t}stages.${i}.`;
    if (i > 0) {
      x = conv(c, layerNorm2d(c, x, `${st}downsample.0`, s.eps), `${st}downsample.1`, 2, { stride: 2 });
      side = Math.floor(side / 2);
    }
    for (let j = 0; j < (s.depths[i] as number); j++) x = block(c, x, `${st}blocks.${j}.`, d, side, s.eps, act);
  });
  const C = s.dims[s.dims.length - 1] as number;
  const pooled = g.node('Reshape', [g.node('GlobalAveragePool', [x]), i64(c, [-1, C])]);
  const feat = layerNorm(c, pooled, `${t}head.norm`, s.eps);
  return timmHead(c, feat, C, s, act);
}
