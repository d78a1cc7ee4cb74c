import { attention, type BiasRef, type BuildCtx, i64, reduce, type WeightRef } from './blocks.js';
import { resnetBlocks } from './expected-weights.js';
import type { ResNetSpec } from './resolve-config.js';

const BN_EPS = 1e-5; // nn.BatchNorm2d default, which ModifiedResNet uses

/** Conv (no bias) followed by eval-mode BatchNorm, folded into one Conv with a bias. */
function convBn(ctx: BuildCtx, x: string, conv: string, bn: string, o: { stride?: number; pad?: number }): string {
  const { graph, weights } = ctx;
  const shape = weights.shape(`${conv}.weight`);
  const [cout, cin, kh, kw] = shape as [number, number, number, number];
  const per = cin * kh * kw;
  const factor = async (): Promise<Float64Array> => {
    const gamma = Float64Array.from(await weights.f32(`${bn}.weight`));
    const varr = await weights.f32(`${bn}.running_var`);
    for (let o2 = 0; o2 < cout; o2++) gamma[o2] = (gamma[o2] as number) / Math.sqrt((varr[o2] as number) + BN_EPS);
    return gamma;
  };
  const weight = weights.computed(graph, `${conv}.weight`, shape, ctx.computeType, async () => {
    const f = await factor();
    const src = await weights.f32(`${conv}.weight`);
    const out = new Float32Array(src.length);
    for (let o2 = 0; o2 < cout; o2++) {
      const s = f[o2] as number;
      for (let i = o2 * per; i < (o2 + 1) * per; i++) out[i] = (src[i] as number) * s;
    }
    return out;
  });
  const bias = weights.computed(graph, `${bn}.bias`, [cout], ctx.computeType, async () => {
    const f = await factor();
    const beta = await weights.f32(`${bn}.bias`);
    const mean = await weights.f32(`${bn}.running_mean`);
    return Float32Array.from({ length: cout }, (_, i) => (beta[i] as number) - (mean[i] as number) * (f[i] as number));
  });
  const pad = o.pad ?? 0;
  return graph.node('Conv', [x, weight, bias], {
    kernel_shape: [kh, kw],
    strides: [o.stride ?? 1, o.stride ?? 1],
    pads: [pad, pad, pad, pad],
  });
}

function avgPool(ctx: BuildCtx, x: string, k: number): string {
  return ctx.graph.node('AveragePool', [x], { kernel_shape: [k, k], strides: [k, k] });
}

/** open_clip ModifiedResNet.forward: 3-conv stem, anti-aliased bottlenecks, AttentionPool2d. */
export function buildResNet(ctx: BuildCtx, spec: ResNetSpec, pixels: string): string {
  const { graph } = ctx;
  const relu = (x: string) => graph.node('Relu', [x]);
  let x = relu(convBn(ctx, pixels, 'visual.conv1', 'visual.bn1', { stride: 2, pad: 1 }));
  x = relu(convBn(ctx, x, 'visual.conv2', 'visual.bn2', { pad: 1 }));
  x = relu(convBn(ctx, x, 'visual.conv3', 'visual.bn3', { pad: 1 }));
  x = avgPool(ctx, x, 2);
  resnetBlocks(spec).forEach((stage, i) =>
    stage.forEach((b, j) => {
      const p = `visual.layer${i + 1}.${j}`;
      let out = relu(convBn(ctx, x, `${p}.conv1`, `${p}.bn1`, {}));
      out = relu(convBn(ctx, out, `${p}.conv2`, `${p}.bn2`, { pad: 1 }));
      if (b.stride > 1) out = avgPool(ctx, out, b.stride);
      out = convBn(ctx, out, `${p}.conv3`, `${p}.bn3`, {});
      let identity = x;
      if (b.downsample) {
        const pooled = b.stride > 1 ? avgPool(ctx, x, b.stride) : x;
        identity = convBn(ctx, pooled, `${p}.downsample.0`, `${p}.downsample.1`, {});
      }
      x = relu(graph.node('Add', [out, identity]));
    }),
  );
  return attentionPool2d(ctx, spec, x);
}

/** AttentionPool2d: the spatial mean token (plus positions) attends to all tokens; returns [N, output_dim]. */
function attentionPool2d(ctx: BuildCtx, spec: ResNetSpec, x: string): string {
  const { graph, weights } = ctx;
  const C = spec.width * 32;
  const side = Math.floor(spec.image / 32);
  const L = side * side + 1;
  const seq = graph.node('Transpose', [graph.node('Reshape', [x, i64(ctx, [0, C, -1])])], { perm: [0, 2, 1] });
  const mean = reduce(ctx, 'ReduceMean', seq, [1], true);
  const tokens = graph.node('Add', [
    graph.node('Concat', [mean, seq], { axis: 1 }),
    weights.direct(graph, 'visual.attnpool.positional_embedding', ctx.computeType),
  ]);
  // Only token 0's output is used, so only its query is computed.
  const q = graph.node('Gather', [tokens, i64(ctx, [0], [])], { axis: 1 });
  const kv = graph.node('Reshape', [tokens, i64(ctx, [-1, C])]);
  const p = 'visual.attnpool.';
  const proj = (k: string, scale?: number): [WeightRef, BiasRef] => [
    { name: `${p}${k}_proj.weight`, layout: 'torch', ...(scale ? { scale } : {}) },
    { name: `${p}${k}_proj.bias`, ...(scale ? { scale } : {}) },
  ];
  return attention(ctx, q, kv, {
    hint: 'visual.attnpool',
    dim: C,
    outDim: spec.outputDim,
    qIn: C,
    kvIn: C,
    heads: spec.heads,
    lq: 1,
    lk: L,
    sharedQuery: false,
    weights: { q: proj('q', 1 / Math.sqrt(C / spec.heads)), k: proj('k'), v: proj('v'), out: proj('c') },
  });
}
