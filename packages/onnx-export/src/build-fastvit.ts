import { activation, type BuildCtx, i64, layerNorm, linear, MS, softmax } from './blocks.js';
import { scaleBlocks } from './tensor-math.js';
import {
  fastvitDims,
  fastvitStages,
  isReparam,
  mobileOneBlocks,
  type MobileOneShape,
  TRUNK,
} from './fastvit-layout.js';
import type { FastVitSpec } from './mobileclip-arch.js';
import { DataType } from './proto.js';
import type { Activation } from './types.js';

const BN_EPS = 1e-5; // nn.BatchNorm2d default, which every FastViT BatchNorm uses
const LN_EPS = 1e-5; // MCi3-4 attention norm: LayerNorm2d(eps=1e-5)
const HEAD_DIM = 32; // FastViT Attention's fixed head_dim

/** A conv kernel [cout, cinG, k, k] and bias [cout] in float64, with every branch and BatchNorm folded in. */
interface Kernel {
  w: Float64Array;
  b: Float64Array;
  k: number;
}

function zeros(cout: number, cinG: number, k: number): Kernel {
  return { w: new Float64Array(cout * cinG * k * k), b: new Float64Array(cout), k };
}

/** kernel += src (a smaller odd kernel, centred). */
function addCentred(dst: Kernel, src: Kernel, cout: number, cinG: number): void {
  const off = (dst.k - src.k) / 2;
  for (let o = 0; o < cout; o++) {
    dst.b[o] = (dst.b[o] as number) + (src.b[o] as number);
    for (let i = 0; i < cinG; i++)
      for (let y = 0; y < src.k; y++)
        for (let x = 0; x < src.k; x++) {
          const d = ((o * cinG + i) * dst.k + y + off) * dst.k + x + off;
          dst.w[d] = (dst.w[d] as number) + (src.w[((o * cinG + i) * src.k + y) * src.k + x] as number);
        }
  }
}

/** Eval-mode BatchNorm as y = x·scale + shift per channel. */
async function bnAffine(ctx: BuildCtx, p: string, n: number): Promise<{ scale: Float64Array; shift: Float64Array }> {
  const [g, b, mean, v] = await Promise.all(
    ['weight', 'bias', 'running_mean', 'running_var'].map((k) => ctx.weights.f32(`${p}.${k}`)),
  );
  const scale = new Float64Array(n);
  const shift = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    scale[i] = (g?.[i] as number) / Math.sqrt((v?.[i] as number) + BN_EPS);
    shift[i] = (b?.[i] as number) - (mean?.[i] as number) * (scale[i] as number);
  }
  return { scale, shift };
}

/** ConvNormAct (conv without bias, then BatchNorm) folded into one kernel. */
async function convBn(ctx: BuildCtx, p: string, cout: number, cinG: number, k: number): Promise<Kernel> {
  const w = await ctx.weights.f32(`${p}.conv.weight`);
  const { scale, shift } = await bnAffine(ctx, `${p}.bn`, cout);
  const out = zeros(cout, cinG, k);
  const per = cinG * k * k;
  for (let o = 0; o < cout; o++) {
    for (let i = o * per; i < (o + 1) * per; i++) out.w[i] = (w[i] as number) * (scale[o] as number);
    out.b[o] = shift[o] as number;
  }
  return out;
}

/** A BatchNorm on the skip path as a k×k kernel: channel i reads input i % cinG at the centre tap. */
async function identityBn(ctx: BuildCtx, p: string, cout: number, cinG: number, k: number): Promise<Kernel> {
  const { scale, shift } = await bnAffine(ctx, p, cout);
  const out = zeros(cout, cinG, k);
  const mid = Math.floor(k / 2);
  for (let o = 0; o < cout; o++) {
    out.w[((o * cinG + (o % cinG)) * k + mid) * k + mid] = scale[o] as number;
    out.b[o] = shift[o] as number;
  }
  return out;
}

async function reparamConv(ctx: BuildCtx, p: string, k: number): Promise<Kernel> {
  const [w, b] = await Promise.all([
    ctx.weights.f32(`${p}.reparam_conv.weight`),
    ctx.weights.f32(`${p}.reparam_conv.bias`),
  ]);
  return { w: Float64Array.from(w), b: Float64Array.from(b), k };
}

/** MobileOneBlock's conv: its reparam_conv, or the sum of its identity, k×k and 1×1 branches. */
async function mobileOneKernel(ctx: BuildCtx, p: string, m: MobileOneShape): Promise<Kernel> {
  const cinG = m.cin / m.groups;
  if (isReparam(ctx.weights.source, p)) return reparamConv(ctx, p, m.k);
  const out = zeros(m.cout, cinG, m.k);
  if (m.cin === m.cout && m.stride === 1)
    addCentred(out, await identityBn(ctx, `${p}.identity`, m.cout, cinG, m.k), m.cout, cinG);
  for (let b = 0; b < m.convBranches; b++)
    addCentred(out, await convBn(ctx, `${p}.conv_kxk.${b}`, m.cout, cinG, m.k), m.cout, cinG);
  if (m.scale) addCentred(out, await convBn(ctx, `${p}.conv_scale`, m.cout, cinG, 1), m.cout, cinG);
  return out;
}

/** ReparamLargeKernelConv: 7×7 conv+BN plus a centred 3×3 conv+BN (groups = input width). */
async function largeKernel(ctx: BuildCtx, p: string, C: number): Promise<Kernel> {
  if (isReparam(ctx.weights.source, p)) return reparamConv(ctx, p, 7);
  const out = await convBn(ctx, `${p}.large_conv`, C, 1, 7);
  addCentred(out, await convBn(ctx, `${p}.small_conv`, C, 1, 3), C, 1);
  return out;
}

/** RepMixer: x + γ·(mixer(x) − norm(x)) as one depthwise 3×3 conv (the identity folded in). */
async function repMixerKernel(ctx: BuildCtx, p: string, C: number): Promise<Kernel> {
  if (isReparam(ctx.weights.source, p)) return reparamConv(ctx, p, 3);
  const dw = { cin: C, cout: C, k: 3, stride: 1, groups: C, seRd: 0 };
  const mixer = await mobileOneKernel(ctx, `${p}.mixer`, { ...dw, scale: true, convBranches: 1 });
  const norm = await mobileOneKernel(ctx, `${p}.norm`, { ...dw, scale: false, convBranches: 0 });
  const gamma = await ctx.weights.f32(`${p}.layer_scale.gamma`);
  for (let o = 0; o < C; o++) {
    const g = gamma[o] as number;
    for (let i = o * 9; i < (o + 1) * 9; i++) mixer.w[i] = g * ((mixer.w[i] as number) - (norm.w[i] as number));
    mixer.w[o * 9 + 4] = (mixer.w[o * 9 + 4] as number) + 1;
    mixer.b[o] = g * ((mixer.b[o] as number) - (norm.b[o] as number));
  }
  return mixer;
}

/** RepConditionalPosEnc: x + dwconv7(x) as one depthwise 7×7 conv. */
async function posEncKernel(ctx: BuildCtx, p: string, C: number): Promise<Kernel> {
  if (isReparam(ctx.weights.source, p)) return reparamConv(ctx, p, 7);
  const [w, b] = await Promise.all([ctx.weights.f32(`${p}.pos_enc.weight`), ctx.weights.f32(`${p}.pos_enc.bias`)]);
  const out: Kernel = { w: Float64Array.from(w), b: Float64Array.from(b), k: 7 };
  for (let o = 0; o < C; o++) out.w[o * 49 + 24] = (out.w[o * 49 + 24] as number) + 1;
  return out;
}

/**
 * A Conv node whose weight and bias come from one folded kernel, computed once when the writer reaches
 * the weight (the bias follows it) and released after.
 */
function conv(
  ctx: BuildCtx,
  x: string,
  hint: string,
  shape: { cout: number; cinG: number; k: number; stride: number; groups: number },
  kernel: () => Promise<Kernel>,
): string {
  let pending: Promise<Kernel> | null = null;
  const once = () => (pending ??= kernel());
  const weight = ctx.weights.computed(
    ctx.graph,
    `${hint}.weight`,
    [shape.cout, shape.cinG, shape.k, shape.k],
    ctx.computeType,
    async () => Float32Array.from((await once()).w),
  );
  const bias = ctx.weights.computed(ctx.graph, `${hint}.bias`, [shape.cout], ctx.computeType, async () => {
    const b = Float32Array.from((await once()).b);
    pending = null;
    return b;
  });
  const pad = Math.floor(shape.k / 2);
  return ctx.graph.node('Conv', [x, weight, bias], {
    kernel_shape: [shape.k, shape.k],
    strides: [shape.stride, shape.stride],
    pads: [pad, pad, pad, pad],
    group: shape.groups,
  });
}

/** A 1×1 conv with the checkpoint's weight and bias, output channels optionally scaled by a layer-scale γ. */
function pointwise(ctx: BuildCtx, x: string, p: string, cout: number, cin: number, gamma?: string): string {
  const { graph, weights } = ctx;
  if (!gamma)
    return graph.node(
      'Conv',
      [x, weights.direct(graph, `${p}.weight`, ctx.computeType), weights.direct(graph, `${p}.bias`, ctx.computeType)],
      {
        kernel_shape: [1, 1],
      },
    );
  const scaled = async (name: string, per: number) => {
    const [v, s] = await Promise.all([ctx.weights.f32(name), ctx.weights.f32(gamma)]);
    return scaleBlocks(v, s, per);
  };
  const weight = weights.computed(graph, `${p}.weight`, [cout, cin, 1, 1], ctx.computeType, () =>
    scaled(`${p}.weight`, cin),
  );
  const bias = weights.computed(graph, `${p}.bias`, [cout], ctx.computeType, () => scaled(`${p}.bias`, 1));
  return graph.node('Conv', [x, weight, bias], { kernel_shape: [1, 1] });
}

/** timm SqueezeExcite: x · σ(fc2(relu(fc1(mean over H, W)))). */
function squeezeExcite(ctx: BuildCtx, x: string, p: string, C: number, rd: number): string {
  const { graph } = ctx;
  const s = graph.node('Relu', [pointwise(ctx, graph.node('GlobalAveragePool', [x]), `${p}.se.fc1`, rd, C)]);
  return graph.node('Mul', [x, graph.node('Sigmoid', [pointwise(ctx, s, `${p}.se.fc2`, C, rd)])]);
}

function mobileOne(ctx: BuildCtx, x: string, p: string, m: MobileOneShape, act: Activation): string {
  let y = conv(ctx, x, p, { ...m, cinG: m.cin / m.groups }, () => mobileOneKernel(ctx, p, m));
  if (m.seRd) y = squeezeExcite(ctx, y, p, m.cout, m.seRd);
  return activation(ctx, y, act);
}

/**
 * ConvMlp: depthwise 7×7 conv+BN, 1×1 up, activation, 1×1 down (layer scale folded in). int8 exports run
 * the two 1×1 convs as quantized matmuls on channels-last rows (they hold most of the weights).
 */
function convMlp(
  ctx: BuildCtx,
  x: string,
  p: string,
  dims: { C: number; hidden: number; H: number; W: number },
  act: Activation,
  gamma: string,
): string {
  const { graph } = ctx;
  const { C, hidden } = dims;
  const h = conv(ctx, x, `${p}.conv`, { cout: C, cinG: 1, k: 7, stride: 1, groups: C }, () =>
    convBn(ctx, `${p}.conv`, C, 1, 7),
  );
  if (ctx.mode !== 'int8') {
    const up = activation(ctx, pointwise(ctx, h, `${p}.fc1`, hidden, C), act);
    return pointwise(ctx, up, `${p}.fc2`, C, hidden, gamma);
  }
  const rows = graph.node('Reshape', [graph.node('Transpose', [h], { perm: [0, 2, 3, 1] }), i64(ctx, [-1, C])]);
  const fc = (name: string, i: number, o: number, src: string, ls?: string) =>
    linear(
      ctx,
      src,
      `${p}.${name}`,
      i,
      o,
      { name: `${p}.${name}.weight`, layout: 'torch', ...(ls ? { gamma: ls } : {}) },
      { name: `${p}.${name}.bias`, ...(ls ? { gamma: ls } : {}) },
    );
  const y = fc('fc2', hidden, C, activation(ctx, fc('fc1', C, hidden, rows), act), gamma);
  const nhwc = graph.node('Reshape', [y, i64(ctx, [-1, dims.H, dims.W, C])]);
  return graph.node('Transpose', [nhwc], { perm: [0, 3, 1, 2] });
}

/** FastViT Attention on rows [B·N, C] (qkv without bias, head dim 32), output projection included. */
function attention(ctx: BuildCtx, rows: string, b: string, C: number, N: number): string {
  const { graph } = ctx;
  const heads = C / HEAD_DIM;
  const p = `${b}token_mixer`;
  let attended: string;
  if (ctx.contrib) {
    // com.microsoft Attention wants an [in, 3C] weight and a bias: the transposed qkv weight and zeros.
    const weight = ctx.weights.computed(graph, `${p}.qkv.weight`, [C, 3 * C], DataType.FLOAT, async () => {
      const w = await ctx.weights.f32(`${p}.qkv.weight`);
      const t = new Float32Array(3 * C * C);
      for (let o = 0; o < 3 * C; o++) for (let i = 0; i < C; i++) t[i * 3 * C + o] = w[o * C + i] as number;
      return t;
    });
    const bias = ctx.weights.computed(
      graph,
      `${p}.qkv.bias`,
      [3 * C],
      DataType.FLOAT,
      async () => new Float32Array(3 * C),
    );
    const x3 = graph.node('Reshape', [rows, i64(ctx, [-1, N, C])]);
    attended = graph.node('Reshape', [
      graph.node('Attention', [x3, weight, bias], { num_heads: heads }, MS),
      i64(ctx, [-1, C]),
    ]);
  } else {
    const s = 1 / Math.sqrt(HEAD_DIM);
    const qkv = linear(
      ctx,
      rows,
      `${p}.qkv`,
      C,
      3 * C,
      { name: `${p}.qkv.weight`, layout: 'torch', scale: s, scaleUpTo: C },
      null,
    );
    const [q, k, v] = graph.nodeN('Split', [qkv, i64(ctx, [C, C, C])], 3, { axis: -1 }) as [string, string, string];
    const shape = i64(ctx, [-1, N, heads, HEAD_DIM]);
    const qh = graph.node('Transpose', [graph.node('Reshape', [q, shape])], { perm: [0, 2, 1, 3] });
    const kt = graph.node('Transpose', [graph.node('Reshape', [k, shape])], { perm: [0, 2, 3, 1] });
    const vh = graph.node('Transpose', [graph.node('Reshape', [v, shape])], { perm: [0, 2, 1, 3] });
    const o = graph.node('MatMul', [softmax(ctx, graph.node('MatMul', [qh, kt])), vh]);
    attended = graph.node('Reshape', [graph.node('Transpose', [o], { perm: [0, 2, 1, 3] }), i64(ctx, [-1, C])]);
  }
  const ls = `${b}layer_scale_1.gamma`;
  return linear(
    ctx,
    attended,
    `${p}.proj`,
    C,
    C,
    { name: `${p}.proj.weight`, layout: 'torch', gamma: ls },
    {
      name: `${p}.proj.bias`,
      gamma: ls,
    },
  );
}

/** AttentionBlock's token mixing on NCHW x: x + γ₁·proj(attn(norm(x))), in rows of tokens. */
function attentionBlock(
  ctx: BuildCtx,
  spec: FastVitSpec,
  x: string,
  b: string,
  C: number,
  H: number,
  W: number,
): string {
  const { graph } = ctx;
  const N = H * W;
  const rows = graph.node('Reshape', [
    graph.node('Transpose', [graph.node('Reshape', [x, i64(ctx, [0, C, N])])], { perm: [0, 2, 1] }),
    i64(ctx, [-1, C]),
  ]);
  let normed: string;
  if (spec.attnNorm === 'layernorm') normed = layerNorm(ctx, rows, `${b}norm`, LN_EPS);
  else {
    const affine = (which: 'scale' | 'shift') =>
      ctx.weights.computed(graph, `${b}norm.${which}`, [C], ctx.computeType, async () =>
        Float32Array.from((await bnAffine(ctx, `${b}norm`, C))[which]),
      );
    normed = graph.node('Add', [graph.node('Mul', [rows, affine('scale')]), affine('shift')]);
  }
  const out = attention(ctx, normed, b, C, N);
  const back = graph.node('Reshape', [
    graph.node('Transpose', [graph.node('Reshape', [out, i64(ctx, [-1, N, C])])], { perm: [0, 2, 1] }),
    i64(ctx, [-1, C, H, W]),
  ]);
  return graph.node('Add', [x, back]);
}

const down = (n: number) => Math.ceil(n / 2);

/** open_clip TimmModel over timm's FastVit MCi: pixels [N, 3, H, W] -> [N, embed_dim]. */
export function buildFastVit(ctx: BuildCtx, spec: FastVitSpec, pixels: string, act: Activation): string {
  const { graph } = ctx;
  const t = TRUNK;
  const d = fastvitDims(spec, ctx.weights.source);
  const blocks = mobileOneBlocks(spec, d);
  const block = (p: string) => blocks.get(p) as MobileOneShape;
  let [H, W] = [spec.image, spec.image];
  let x = pixels;
  for (let i = 0; i < 3; i++) {
    const m = block(`${t}stem.${i}`);
    x = mobileOne(ctx, x, `${t}stem.${i}`, m, act);
    if (m.stride === 2) [H, W] = [down(H), down(W)];
  }
  let prev = d.stem;
  for (const { arch, dims: st, prefix: sp } of fastvitStages(spec, d)) {
    const C = st.dim;
    if (arch.downsample) {
      const p = `${sp}downsample.proj.0`;
      x = conv(ctx, x, p, { cout: C, cinG: 1, k: 7, stride: 2, groups: prev }, () => largeKernel(ctx, p, C));
      if (st.seRd) x = squeezeExcite(ctx, x, p, C, st.seRd);
      if (spec.lkcAct) x = activation(ctx, x, act);
      [H, W] = [down(H), down(W)];
      x = mobileOne(ctx, x, `${sp}downsample.proj.1`, block(`${sp}downsample.proj.1`), act);
    }
    if (arch.posEmb) {
      const p = `${sp}pos_emb`;
      x = conv(ctx, x, p, { cout: C, cinG: 1, k: 7, stride: 1, groups: C }, () => posEncKernel(ctx, p, C));
    }
    for (let j = 0; j < st.depth; j++) {
      const b = `${sp}blocks.${j}.`;
      let gamma: string;
      if (arch.mixer === 'repmixer') {
        const p = `${b}token_mixer`;
        x = conv(ctx, x, p, { cout: C, cinG: 1, k: 3, stride: 1, groups: C }, () => repMixerKernel(ctx, p, C));
        gamma = `${b}layer_scale.gamma`;
      } else {
        x = attentionBlock(ctx, spec, x, b, C, H, W);
        gamma = `${b}layer_scale_2.gamma`;
      }
      x = graph.node('Add', [x, convMlp(ctx, x, `${b}mlp`, { C, hidden: st.hidden, H, W }, act, gamma)]);
    }
    prev = C;
  }
  x = mobileOne(ctx, x, `${t}final_conv`, block(`${t}final_conv`), act);
  const pooled = graph.node('Flatten', [graph.node('GlobalAveragePool', [x])], { axis: 1 });
  return linear(
    ctx,
    pooled,
    `${t}head.fc`,
    d.final,
    d.embed,
    { name: `${t}head.fc.weight`, layout: 'torch' },
    {
      name: `${t}head.fc.bias`,
    },
  );
}
