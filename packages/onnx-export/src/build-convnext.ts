import { type BuildCtx, i64, layerNorm, mlp } from './blocks.js';
import type { ConvNextSpec } from './timm-convnext.js';
import { timmHead } from './timm-head.js';
import type { Activation } from './types.js';

/** LayerNorm over the channels of an NCHW map (timm's LayerNorm2d): NHWC, normalize the last axis, back. */
export function layerNorm2d(ctx: BuildCtx, x: string, name: string, eps: number): string {
  const { graph } = ctx;
  const nhwc = graph.node('Transpose', [x], { perm: [0, 2, 3, 1] });
  return graph.node('Transpose', [layerNorm(ctx, nhwc, name, eps)], { perm: [0, 3, 1, 2] });
}

export function conv(
  ctx: BuildCtx,
  x: string,
  name: string,
  k: number,
  o: { stride?: number; pad?: number; group?: number },
) {
  const { graph, weights } = ctx;
  const pad = o.pad ?? 0;
  return graph.node(
    'Conv',
    [
      x,
      weights.direct(graph, `${name}.weight`, ctx.computeType),
      weights.direct(graph, `${name}.bias`, ctx.computeType),
    ],
    {
      kernel_shape: [k, k],
      strides: [o.stride ?? 1, o.stride ?? 1],
      pads: [pad, pad, pad, pad],
      ...(o.group ? { group: o.group } : {}),
    },
  );
}

/**
 * One ConvNeXt block on an NCHW map of `side`×`side`: x + γ·fc2(act(fc1(LN(dwconv7(x))))), the MLP
 * channels-last on [N·H·W, C] rows (Gemm, so int8 quantizes it like any linear); γ folds into fc2.
 */
function block(ctx: BuildCtx, x: string, p: string, d: number, side: number, eps: number, act: Activation): string {
  const { graph } = ctx;
  const dw = conv(ctx, x, `${p}conv_dw`, 7, { pad: 3, group: d });
  const rows = graph.node('Reshape', [graph.node('Transpose', [dw], { perm: [0, 2, 3, 1] }), i64(ctx, [-1, d])]);
  const y = mlp(ctx, layerNorm(ctx, rows, `${p}norm`, eps), `${p}mlp.fc1`, `${p}mlp.fc2`, d, 4 * d, act, {
    gamma: `${p}gamma`,
  });
  const nchw = graph.node('Transpose', [graph.node('Reshape', [y, i64(ctx, [-1, side, side, d])])], {
    perm: [0, 3, 1, 2],
  });
  return graph.node('Add', [x, nchw]);
}

/**
 * open_clip TimmModel over timm's ConvNeXt: patch-4 stem + LayerNorm2d, four stages (LayerNorm2d and a
 * 2×2 stride-2 conv between them), global average pool, the trunk head's LayerNorm, then open_clip's
 * head.proj or head.mlp.
 */
export function buildConvNext(ctx: BuildCtx, spec: ConvNextSpec, pixels: string, act: Activation): string {
  const { graph } = ctx;
  const t = 'visual.trunk.';
  let x = layerNorm2d(ctx, conv(ctx, pixels, `${t}stem.0`, 4, { stride: 4 }), `${t}stem.1`, spec.eps);
  let side = Math.floor(spec.image / 4);
  spec.dims.forEach((d, i) => {
    const st = `${t}stages.${i}.`;
    if (i > 0) {
      x = conv(ctx, layerNorm2d(ctx, x, `${st}downsample.0`, spec.eps), `${st}downsample.1`, 2, { stride: 2 });
      side = Math.floor(side / 2);
    }
    for (let j = 0; j < (spec.depths[i] as number); j++) x = block(ctx, x, `${st}blocks.${j}.`, d, side, spec.eps, act);
  });
  const C = spec.dims[spec.dims.length - 1] as number;
  const pooled = graph.node('Reshape', [graph.node('GlobalAveragePool', [x]), i64(ctx, [-1, C])]);
  const feat = layerNorm(ctx, pooled, `${t}head.norm`, spec.eps);
  return timmHead(ctx, feat, C, spec, act);
}
