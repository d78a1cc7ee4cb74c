import type { GraphBuilder } from './graph.js';
import { scaleBlocks } from './tensor-math.js';
import { DataType, type DataTypeId } from './proto.js';
import { quantizePerChannel } from './quantize.js';
import type { Activation, ExportDType } from './types.js';
import type { WeightLoader } from './weight-loader.js';

/** What every tower builder needs: the graph, the weights, the export mode and the compute dtype. */
export interface BuildCtx {
  graph: GraphBuilder;
  weights: WeightLoader;
  mode: ExportDType;
  /** FLOAT16 for fp16 exports, FLOAT otherwise (int8 quantizes weights only; activations stay float32). */
  computeType: DataTypeId;
  /**
   * Emit onnxruntime's com.microsoft fused ops (Attention, SkipLayerNormalization, QuickGelu, Gelu,
   * FastGelu) for the transformer blocks. Their CPU kernels are float32 only, so fp32 exports only.
   */
  contrib: boolean;
  /**
   * int8 exports: quantize weights only (per output channel, dequantized in the graph) instead of the
   * dynamic-activation MatMulInteger path, for towers whose activations do not survive per-tensor
   * 8-bit quantization.
   */
  int8WeightOnly?: boolean;
}

/** onnxruntime's contrib-op domain. */
export const MS = 'com.microsoft';

/**
 * A linear layer's weight: a torch nn.Linear weight [out, in] (optionally rows [r0, r1) of it, as q/k/v
 * of in_proj_weight), or a plain [in, out] matrix (open_clip's `proj`, `text_projection`). `scale` and
 * `gamma` (a layer-scale vector) multiply the outputs and are folded into weight and bias.
 */
export interface WeightRef {
  name: string;
  layout: 'torch' | 'matrix';
  rows?: [number, number];
  scale?: number;
  /** Apply `scale` only to output channels [0, scaleUpTo) (the q part of a packed qkv projection). */
  scaleUpTo?: number;
  gamma?: string;
}

export interface BiasRef {
  name: string;
  range?: [number, number];
  scale?: number;
  scaleUpTo?: number;
  gamma?: string;
}

/** A scalar or vector constant in the compute dtype. */
export function cconst(ctx: BuildCtx, values: number[], dims: number[] = []): string {
  return ctx.graph.constant(values, dims, ctx.computeType);
}

export function i64(ctx: BuildCtx, values: number[], dims: number[] = [values.length]): string {
  return ctx.graph.constant(values, dims, DataType.INT64);
}

/** Output-channel multipliers (scale × gamma), or null when there are none. */
async function outScale(
  ctx: BuildCtx,
  r: { scale?: number; scaleUpTo?: number; gamma?: string },
  n: number,
): Promise<Float32Array | null> {
  if (r.scale === undefined && !r.gamma) return null;
  const g = r.gamma ? await ctx.weights.f32(r.gamma) : null;
  const upTo = r.scaleUpTo ?? n;
  return Float32Array.from({ length: n }, (_, j) => (j < upTo ? (r.scale ?? 1) : 1) * (g ? (g[j] as number) : 1));
}

/** The weight as float32 in its own layout with output scales folded in. */
async function weightValues(ctx: BuildCtx, r: WeightRef, inDim: number, outDim: number): Promise<Float32Array> {
  const all = await ctx.weights.f32(r.name);
  const base = r.rows ? all.subarray(r.rows[0] * inDim, r.rows[1] * inDim) : all;
  const s = await outScale(ctx, r, outDim);
  if (!s) return base;
  const out = new Float32Array(base.length);
  if (r.layout === 'torch') {
    for (let j = 0; j < outDim; j++) {
      const f = s[j] as number;
      for (let i = j * inDim; i < (j + 1) * inDim; i++) out[i] = (base[i] as number) * f;
    }
  } else {
    for (let i = 0; i < inDim; i++)
      for (let j = 0; j < outDim; j++) out[i * outDim + j] = (base[i * outDim + j] as number) * (s[j] as number);
  }
  return out;
}

function biasInit(ctx: BuildCtx, hint: string, b: BiasRef, outDim: number, dataType: DataTypeId): string {
  if (b.scale === undefined && !b.gamma)
    return ctx.weights.direct(ctx.graph, b.name, dataType, b.range, `${hint}.bias`);
  return ctx.weights.computed(ctx.graph, `${hint}.bias`, [outDim], dataType, async () => {
    const all = await ctx.weights.f32(b.name);
    const v = b.range ? all.subarray(b.range[0], b.range[1]) : all;
    const s = (await outScale(ctx, b, outDim)) as Float32Array;
    return scaleBlocks(v, s, 1);
  });
}

/**
 * y = x·W (+ b) for a 2-D x [M, in]. Float exports use Gemm with transB for torch weights, so weights
 * are written exactly as stored (no transposes at export time, bias fused). int8 uses the
 * DynamicQuantizeLinear → MatMulInteger → Cast → Mul pattern onnxruntime fuses into DynamicQuantizeMatMul.
 */
export function linear(
  ctx: BuildCtx,
  x: string,
  hint: string,
  inDim: number,
  outDim: number,
  w: WeightRef,
  b: BiasRef | null,
): string {
  const { graph } = ctx;
  if (ctx.mode === 'int8') {
    const quantize = () =>
      weightValues(ctx, w, inDim, outDim).then((v) => quantizePerChannel(v, inDim, outDim, w.layout === 'torch'));
    const y = ctx.int8WeightOnly
      ? graph.node('MatMul', [x, int8Dequantized(ctx, hint, [inDim, outDim], quantize)])
      : int8MatMul(ctx, x, hint, [inDim, outDim], [outDim], quantize);
    return b ? graph.node('Add', [y, biasInit(ctx, hint, b, outDim, DataType.FLOAT)]) : y;
  }
  const dims = w.layout === 'torch' ? [outDim, inDim] : [inDim, outDim];
  const plain = w.scale === undefined && !w.gamma;
  const scaledSpan = () =>
    ctx.computeType === DataType.FLOAT
      ? ctx.weights.scaledSpan(
          graph,
          `${hint}.weight`,
          w.name,
          w.rows,
          w.layout === 'torch' ? 0 : 1,
          async () => (await outScale(ctx, w, outDim)) as Float32Array,
        )
      : null;
  const weight = plain
    ? ctx.weights.direct(graph, w.name, ctx.computeType, w.rows, `${hint}.weight`)
    : (scaledSpan() ??
      ctx.weights.computed(graph, `${hint}.weight`, dims, ctx.computeType, () => weightValues(ctx, w, inDim, outDim)));
  const inputs = [x, weight, ...(b ? [biasInit(ctx, hint, b, outDim, ctx.computeType)] : [])];
  return graph.node('Gemm', inputs, w.layout === 'torch' ? { transB: 1 } : {});
}

/**
 * The int8 weight `${hint}.weight_q` of `dims` and its float32 scales `${hint}.weight_scale` of `scaleDims`;
 * `quantize` runs once, when the writer reaches the weight, and its copy is released after the scales.
 */
function int8Initializers(
  ctx: BuildCtx,
  hint: string,
  dims: number[],
  scaleDims: number[],
  quantize: () => Promise<{ q: Int8Array; scale: Float32Array }>,
): [weight: string, scale: string] {
  let q: Promise<{ q: Int8Array; scale: Float32Array }> | null = null;
  const quant = () => (q ??= quantize());
  const wq = ctx.graph.initializer(`${hint}.weight_q`, dims, DataType.INT8, async () => {
    const r = (await quant()).q;
    return new Uint8Array(r.buffer, r.byteOffset, r.byteLength);
  });
  const ws = ctx.weights.computed(ctx.graph, `${hint}.weight_scale`, scaleDims, DataType.FLOAT, async () => {
    const scale = (await quant()).scale;
    q = null; // written right after weight_q: release the quantized copy
    return scale;
  });
  return [wq, ws];
}

/** An int8 weight [in, out] with per-output-column scales, dequantized to float32 by the graph. */
function int8Dequantized(
  ctx: BuildCtx,
  hint: string,
  dims: [number, number],
  quantize: () => Promise<{ q: Int8Array; scale: Float32Array }>,
): string {
  const [wq, ws] = int8Initializers(ctx, hint, dims, [dims[1]], quantize);
  return ctx.graph.node('DequantizeLinear', [wq, ws], { axis: 1 });
}

/**
 * x · Wq · scale for an int8 weight of `dims` ([in, out], or [H, in, out] per head) with per-output-column
 * scales of `scaleDims`: the DynamicQuantizeLinear → MatMulInteger → Cast → Mul pattern onnxruntime fuses
 * into DynamicQuantizeMatMul. `quantize` runs once, when the writer reaches the weight.
 */
function int8MatMul(
  ctx: BuildCtx,
  x: string,
  hint: string,
  dims: number[],
  scaleDims: number[],
  quantize: () => Promise<{ q: Int8Array; scale: Float32Array }>,
): string {
  const { graph } = ctx;
  const [wq, ws] = int8Initializers(ctx, hint, dims, scaleDims, quantize);
  const [xq, xs, xz] = graph.nodeN('DynamicQuantizeLinear', [x], 3) as [string, string, string];
  const acc = graph.node('Cast', [graph.node('MatMulInteger', [xq, wq, xz])], { to: DataType.FLOAT });
  return graph.node('Mul', [acc, graph.node('Mul', [xs, ws])]);
}

/** LayerNormalization over the last axis; in fp16 exports it runs in float32 (open_clip's LayerNormFp32). */
export function layerNorm(ctx: BuildCtx, x: string, name: string, eps: number): string {
  const { graph } = ctx;
  const scale = ctx.weights.direct(graph, `${name}.weight`, DataType.FLOAT);
  const bias = ctx.weights.direct(graph, `${name}.bias`, DataType.FLOAT);
  const input = ctx.computeType === DataType.FLOAT16 ? graph.node('Cast', [x], { to: DataType.FLOAT }) : x;
  const y = graph.node('LayerNormalization', [input, scale, bias], { axis: -1, epsilon: { float: eps } });
  return ctx.computeType === DataType.FLOAT16 ? graph.node('Cast', [y], { to: DataType.FLOAT16 }) : y;
}

export function activation(ctx: BuildCtx, x: string, act: Activation): string {
  const { graph } = ctx;
  // One fused kernel per activation, each of the same kind: QuickGelu(alpha) is x·σ(alpha·x), Gelu is
  // the erf form, FastGelu the tanh form (so a wrong activation still breaks fidelity).
  if (ctx.contrib && act !== 'relu') {
    if (act === 'quick_gelu') return graph.node('QuickGelu', [x], { alpha: { float: 1.702 } }, MS);
    return graph.node(act === 'gelu' ? 'Gelu' : 'FastGelu', [x], {}, MS);
  }
  switch (act) {
    case 'relu':
      return graph.node('Relu', [x]);
    case 'quick_gelu':
      return graph.node('Mul', [x, graph.node('Sigmoid', [graph.node('Mul', [x, cconst(ctx, [1.702])])])]);
    case 'gelu':
      if (graph.opset >= 20) return graph.node('Gelu', [x], { approximate: 'none' });
      {
        // 0.5·x·(1 + erf(x/√2)): the shape onnxruntime's GeluFusion recognizes
        const e = graph.node('Erf', [graph.node('Div', [x, cconst(ctx, [Math.SQRT2])])]);
        return graph.node('Mul', [
          graph.node('Mul', [x, graph.node('Add', [e, cconst(ctx, [1])])]),
          cconst(ctx, [0.5]),
        ]);
      }
    case 'gelu_tanh':
      if (graph.opset >= 20) return graph.node('Gelu', [x], { approximate: 'tanh' });
      {
        // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
        const x3 = graph.node('Mul', [graph.node('Mul', [x, x]), x]);
        const inner = graph.node('Add', [x, graph.node('Mul', [x3, cconst(ctx, [0.044715])])]);
        const t = graph.node('Tanh', [graph.node('Mul', [inner, cconst(ctx, [Math.sqrt(2 / Math.PI)])])]);
        return graph.node('Mul', [
          graph.node('Mul', [x, cconst(ctx, [0.5])]),
          graph.node('Add', [t, cconst(ctx, [1])]),
        ]);
      }
  }
}

export function softmax(ctx: BuildCtx, x: string): string {
  const { graph } = ctx;
  if (ctx.computeType !== DataType.FLOAT16) return graph.node('Softmax', [x], { axis: -1 });
  const y = graph.node('Softmax', [graph.node('Cast', [x], { to: DataType.FLOAT })], { axis: -1 });
  return graph.node('Cast', [y], { to: DataType.FLOAT16 });
}

export interface AttnWeights {
  q: [WeightRef, BiasRef];
  k: [WeightRef, BiasRef];
  v: [WeightRef, BiasRef];
  out: [WeightRef, BiasRef];
}

/**
 * Multi-head attention pooling on row-flattened sequences: q is [N·Lq, qIn] (or [Lq, qIn] for learned
 * queries shared by the batch, which must be float32), kv is [N·Lk, kvIn]; returns [N·Lq, outDim]. The
 * 1/√head_dim scale must already be folded into the q weights; the key is transposed once so Q·Kᵀ is
 * one MatMul. (Transformer blocks use selfAttention below.)
 */
export function attention(
  ctx: BuildCtx,
  q: string,
  kv: string,
  o: {
    hint: string;
    dim: number;
    outDim: number;
    qIn: number;
    kvIn: number;
    heads: number;
    lq: number;
    lk: number;
    sharedQuery: boolean;
    weights: AttnWeights;
  },
): string {
  const { graph } = ctx;
  const hd = o.dim / o.heads;
  const w = o.weights;
  let qp: string;
  if (o.sharedQuery) {
    // Learned queries are constants: their projection is computed in float32 (onnxruntime constant-folds
    // it; its CPU folding of float16 Gemm crashes), then cast to the compute dtype.
    qp = linear({ ...ctx, computeType: DataType.FLOAT }, q, `${o.hint}.q`, o.qIn, o.dim, ...w.q);
    if (ctx.computeType !== DataType.FLOAT) qp = graph.node('Cast', [qp], { to: ctx.computeType });
  } else {
    qp = linear(ctx, q, `${o.hint}.q`, o.qIn, o.dim, ...w.q);
  }
  const kp = linear(ctx, kv, `${o.hint}.k`, o.kvIn, o.dim, ...w.k);
  const vp = linear(ctx, kv, `${o.hint}.v`, o.kvIn, o.dim, ...w.v);
  const qh = o.sharedQuery
    ? graph.node('Transpose', [graph.node('Reshape', [qp, i64(ctx, [o.lq, o.heads, hd])])], { perm: [1, 0, 2] }) // [H, Lq, hd]
    : graph.node('Transpose', [graph.node('Reshape', [qp, i64(ctx, [-1, o.lq, o.heads, hd])])], { perm: [0, 2, 1, 3] });
  const kvShape = i64(ctx, [-1, o.lk, o.heads, hd]);
  const kt = graph.node('Transpose', [graph.node('Reshape', [kp, kvShape])], { perm: [0, 2, 3, 1] });
  const vh = graph.node('Transpose', [graph.node('Reshape', [vp, kvShape])], { perm: [0, 2, 1, 3] });
  const attended = graph.node('MatMul', [softmax(ctx, graph.node('MatMul', [qh, kt])), vh]); // [N, H, Lq, hd]
  const merged = graph.node('Reshape', [
    graph.node('Transpose', [attended], { perm: [0, 2, 1, 3] }),
    i64(ctx, [-1, o.dim]),
  ]);
  return linear(ctx, merged, `${o.hint}.out`, o.dim, o.outDim, ...w.out);
}

/** q/k/v weight and bias refs for nn.MultiheadAttention's packed in_proj (q scaled by 1/√head_dim). */
export function packedQkv(p: string, d: number, heads: number): Pick<AttnWeights, 'q' | 'k' | 'v'> {
  const [weight, bias] = [`${p}in_proj_weight`, `${p}in_proj_bias`];
  const s = 1 / Math.sqrt(d / heads);
  const part = (i: number, scale?: number): [WeightRef, BiasRef] => [
    { name: weight, layout: 'torch', rows: [i * d, (i + 1) * d], ...(scale ? { scale } : {}) },
    { name: bias, range: [i * d, (i + 1) * d], ...(scale ? { scale } : {}) },
  ];
  return { q: part(0, s), k: part(1), v: part(2) };
}

/** State-dict names of one pre-LN transformer block (open_clip and timm name them differently). */
export interface BlockNames {
  ln1: string;
  qkvWeight: string;
  /** Absent: the qkv projection has no bias (timm qkv_bias=False). */
  qkvBias?: string;
  outWeight: string;
  outBias: string;
  ln2: string;
  fc1: string;
  fc2: string;
  ls1?: string;
  ls2?: string;
}

/** open_clip ResidualAttentionBlock names under prefix `p` (…transformer.resblocks.i.). */
export function openClipBlock(p: string, layerScale: boolean): BlockNames {
  return {
    ln1: `${p}ln_1`,
    qkvWeight: `${p}attn.in_proj_weight`,
    qkvBias: `${p}attn.in_proj_bias`,
    outWeight: `${p}attn.out_proj.weight`,
    outBias: `${p}attn.out_proj.bias`,
    ln2: `${p}ln_2`,
    fc1: `${p}mlp.c_fc`,
    fc2: `${p}mlp.c_proj`,
    ...(layerScale ? { ls1: `${p}ls_1.gamma`, ls2: `${p}ls_2.gamma` } : {}),
  };
}

/** The sizes of an open_clip Transformer (a text tower's or a native VisionTransformer's). */
export interface OpenClipStack {
  width: number;
  heads: number;
  mlpWidth: number;
  layers: number;
  eps: number;
  layerScale: boolean;
}

/**
 * open_clip's Transformer (`${prefix}transformer.resblocks.i.`) on x [N·L, width] with the tower's sizes;
 * `options` holds what the towers set differently (causal mask, pooled row, run-time length).
 */
export function openClipTransformer(
  ctx: BuildCtx,
  x: string,
  prefix: string,
  tower: OpenClipStack,
  seq: number,
  act: Activation,
  options: Pick<StackOptions, 'causal' | 'onlyRow' | 'runtimeSeq'>,
): string {
  const blocks = Array.from({ length: tower.layers }, (_, i) =>
    openClipBlock(`${prefix}transformer.resblocks.${i}.`, tower.layerScale),
  );
  const { width, heads, mlpWidth, eps } = tower;
  return transformer(ctx, x, blocks, { width, heads, mlp: mlpWidth, seq, eps, act, ...options });
}

/**
 * timm Block names under `prefix` (…blocks.i.): norm1, attn.qkv, attn.proj, norm2 and the MLP's two
 * linears (`fc1`/`fc2` by default; ViTamin's GeGLU names them w0/w2).
 */
export function timmBlock(
  prefix: string,
  options: { fc1?: string; fc2?: string; qkvBias?: boolean; layerScale?: boolean } = {},
): BlockNames {
  return {
    ln1: `${prefix}norm1`,
    qkvWeight: `${prefix}attn.qkv.weight`,
    ...(options.qkvBias === false ? {} : { qkvBias: `${prefix}attn.qkv.bias` }),
    outWeight: `${prefix}attn.proj.weight`,
    outBias: `${prefix}attn.proj.bias`,
    ln2: `${prefix}norm2`,
    fc1: `${prefix}${options.fc1 ?? 'mlp.fc1'}`,
    fc2: `${prefix}${options.fc2 ?? 'mlp.fc2'}`,
    ...(options.layerScale ? { ls1: `${prefix}ls1.gamma`, ls2: `${prefix}ls2.gamma` } : {}),
  };
}

/** An nn.Linear `name` (`name.weight` [out, in], `name.bias`) on rows [N, inDim]. */
export function torchLinear(ctx: BuildCtx, x: string, name: string, inDim: number, outDim: number): string {
  return linear(ctx, x, name, inDim, outDim, { name: `${name}.weight`, layout: 'torch' }, { name: `${name}.bias` });
}

/** Shape and activation of a stack of pre-LN transformer blocks. */
export interface StackOptions {
  width: number;
  heads: number;
  mlp: number;
  /** Sequence length, or its upper bound when `runtimeSeq` (an int64 [1] value) gives it at run time. */
  seq: number;
  runtimeSeq?: string;
  /**
   * Only one token's output is used: the last block computes attention, output projection and MLP for
   * that row alone and the stack returns [N, width]. A number is a fixed position (class token, first or
   * last token); a string names an int64 [N, 1] tensor of per-row positions (the text EOT token).
   */
  onlyRow?: number | string;
  eps: number;
  act: Activation;
  causal: boolean;
  /** An additive attention bias per block ([1, heads, seq, seq], timm's relative position bias); those blocks take the plain path. */
  attnBias?: (block: number) => string;
  /** A feed-forward other than fc1 → act → fc2 (timm's GeGLU): block index, ln_2 output [N·L, width] -> [N·L, width]. */
  ffn?: (block: number, h: string) => string;
}

/**
 * Pre-LN transformer blocks on x [N·L, width]: x + ls1·attn(ln1(x)); x + ls2·mlp(ln2(x)), with packed
 * qkv weights and an optional causal mask. Layer scale is folded into the attention output and second
 * MLP projections. (onnxruntime's SkipLayerNormalization is not used: its CPU kernel measured several
 * times slower than Add + LayerNormalization.)
 */
export function transformer(ctx: BuildCtx, x: string, blocks: BlockNames[], options: StackOptions): string {
  const { graph } = ctx;
  // The causal mask and the [N, L, D] (Attention) or [N, L, heads, head_dim] (plain path) shape are built on
  // first use, once for all blocks: a one-block stack that keeps only the pooled row never uses them, and an
  // unused initializer makes onnxruntime print a warning on every load.
  let mask: string | null | undefined;
  let shape: string | undefined;
  const maskOnce = () =>
    (mask ??= options.causal && !ctx.contrib ? causalMask(ctx, options.seq, options.runtimeSeq) : null);
  const shapeOnce = () =>
    (shape ??= seqShape(
      ctx,
      options.runtimeSeq ?? options.seq,
      -1,
      ctx.contrib ? [options.width] : [options.heads, options.width / options.heads],
    ));
  for (const [i, n] of blocks.entries()) {
    const ls1 = n.ls1 ? { gamma: n.ls1 } : {};
    const ls2 = n.ls2 ? { gamma: n.ls2 } : {};
    const hint = n.ln1.replace(/\.[^.]*$/, '');
    const h = layerNorm(ctx, x, n.ln1, options.eps);
    let x1: string;
    if (options.onlyRow !== undefined && i === blocks.length - 1) {
      // Only the pooled row leaves the last block: it attends over ln_1 of every token (see pooledAttention).
      const seq3 = seqShape(ctx, options.runtimeSeq ?? options.seq, -1, [options.width]);
      const only = options.onlyRow;
      const row = (t3: string) =>
        typeof only === 'number'
          ? graph.node('Gather', [t3, i64(ctx, [only], [])], { axis: 1 })
          : graph.node('GatherND', [t3, only], { batch_dims: 1 });
      const h3 = graph.node('Reshape', [h, seq3]);
      x1 = graph.node('Add', [
        row(graph.node('Reshape', [x, seq3])),
        pooledAttention(ctx, row(h3), h3, n, options, only),
      ]);
    } else {
      const bias = options.attnBias?.(i);
      const a = bias
        ? selfAttention(
            { ...ctx, contrib: false },
            h,
            n,
            options,
            bias,
            seqShape(ctx, options.seq, -1, [options.heads, options.width / options.heads]),
          )
        : selfAttention(ctx, h, n, options, maskOnce(), shapeOnce());
      const out = linear(
        ctx,
        a,
        `${hint}.attn.out`,
        options.width,
        options.width,
        { name: n.outWeight, layout: 'torch', ...ls1 },
        { name: n.outBias, ...ls1 },
      );
      x1 = graph.node('Add', [x, out]);
    }
    const h2 = layerNorm(ctx, x1, n.ln2, options.eps);
    x = graph.node('Add', [
      x1,
      options.ffn ? options.ffn(i, h2) : mlp(ctx, h2, n.fc1, n.fc2, options.width, options.mlp, options.act, ls2),
    ]);
  }
  return x;
}

/** Shape [d0, seq, ...rest] as an int64 tensor, for a constant or a runtime sequence length. */
export function seqShape(ctx: BuildCtx, seq: number | string, d0: number, rest: number[]): string {
  if (typeof seq === 'number') return i64(ctx, [d0, seq, ...rest]);
  return ctx.graph.node('Concat', [i64(ctx, [d0]), seq, i64(ctx, rest)], { axis: 0 });
}

/** Additive [L, L] causal mask (0 on and below the diagonal, -inf above), as open_clip builds it; cut to the runtime length. */
function causalMask(ctx: BuildCtx, L: number, runtime: string | undefined): string {
  const { graph } = ctx;
  const full = ctx.weights.computed(graph, 'causal_mask', [L, L], ctx.computeType, async () => {
    const m = new Float32Array(L * L);
    for (let i = 0; i < L; i++) for (let j = i + 1; j < L; j++) m[i * L + j] = -Infinity;
    return m;
  });
  if (!runtime) return full;
  return graph.node('Slice', [
    full,
    i64(ctx, [0, 0]),
    graph.node('Concat', [runtime, runtime], { axis: 0 }),
    i64(ctx, [0, 1]),
  ]);
}

/**
 * Self-attention of one block for a single query row per sequence, output projection included:
 * hRow [N, D] (ln_1 of the pooled token), h3 [N, L, D] (ln_1 of every token) -> [N, D].
 * The key and value projections of all L tokens are never formed. Per head, q·(h·Wkᵀ + bk)ᵀ =
 * (q·Wk)·hᵀ + q·bk, and q·bk shifts every score of the row equally, which softmax ignores; and
 * p·(h·Wvᵀ + bv) = (p·h)·Wvᵀ + bv because p sums to 1. That turns two [L, D]×[D, D] projections into
 * two [1, D]×[D, D] ones per sequence: the last block of a ViT-B/32 image costs 2% of a full block.
 */
function pooledAttention(
  ctx: BuildCtx,
  hRow: string,
  h3: string,
  n: BlockNames,
  options: StackOptions,
  row: number | string,
): string {
  const { graph } = ctx;
  const d = options.width;
  const H = options.heads;
  const hd = d / H;
  const s = 1 / Math.sqrt(hd);
  const hint = `${n.ln1.replace(/\.[^.]*$/, '')}.attn`;
  const q = linear(
    ctx,
    hRow,
    `${hint}.q`,
    d,
    d,
    { name: n.qkvWeight, layout: 'torch', rows: [0, d], scale: s },
    n.qkvBias ? { name: n.qkvBias, range: [0, d], scale: s } : null,
  );
  const qh = graph.node('Transpose', [graph.node('Reshape', [q, i64(ctx, [-1, H, hd])])], { perm: [1, 0, 2] }); // [H, N, hd]
  // Wk per head is [hd, D], the k rows of in_proj_weight as stored; Wvᵀ per head is [D, hd].
  const wk = (x: string) => perHeadMatMul(ctx, x, `${hint}.k_heads`, n.qkvWeight, d, H, d, false);
  const wv = (x: string) => perHeadMatMul(ctx, x, `${hint}.v_heads_t`, n.qkvWeight, 2 * d, H, d, true);
  const qk = graph.node('Transpose', [wk(qh)], { perm: [1, 0, 2] }); // [N, H, D]
  let scores = graph.node('MatMul', [qk, graph.node('Transpose', [h3], { perm: [0, 2, 1] })]); // [N, H, L]
  if (options.causal) scores = graph.node('Add', [scores, keyMask(ctx, options, row)]);
  const ph = graph.node('Transpose', [graph.node('MatMul', [softmax(ctx, scores), h3])], { perm: [1, 0, 2] }); // [H, N, D]
  const attended = graph.node('Reshape', [graph.node('Transpose', [wv(ph)], { perm: [1, 0, 2] }), i64(ctx, [-1, d])]);
  const ls = n.ls1 ? { gamma: n.ls1 } : {};
  return linear(
    ctx,
    n.qkvBias
      ? graph.node('Add', [
          attended,
          ctx.weights.direct(graph, n.qkvBias, ctx.computeType, [2 * d, 3 * d], `${hint}.v.bias`),
        ])
      : attended,
    `${hint}.out`,
    d,
    d,
    { name: n.outWeight, layout: 'torch', ...ls },
    { name: n.outBias, ...ls },
  );
}

/**
 * x [H, M, in] times one matrix per head, [H, in, out] -> [H, M, out]. Head h's matrix is rows
 * [row0 + h·hd, row0 + (h+1)·hd) of the torch weight `name` ([·, d] rows), or its transpose. int8
 * exports quantize each head's matrix per output column, as linear() does.
 */
function perHeadMatMul(
  ctx: BuildCtx,
  x: string,
  hint: string,
  name: string,
  row0: number,
  H: number,
  d: number,
  transposed: boolean,
): string {
  const { graph } = ctx;
  const hd = d / H;
  const [inDim, outDim] = transposed ? [d, hd] : [hd, d];
  const head = async (h: number) =>
    (await ctx.weights.f32(name)).subarray((row0 + h * hd) * d, (row0 + (h + 1) * hd) * d); // [hd, d]
  if (ctx.mode === 'int8') {
    return int8MatMul(ctx, x, hint, [H, inDim, outDim], [H, 1, outDim], async () => {
      const all = { q: new Int8Array(H * inDim * outDim), scale: new Float32Array(H * outDim) };
      for (let h = 0; h < H; h++) {
        const r = quantizePerChannel(await head(h), inDim, outDim, transposed);
        all.q.set(r.q, h * inDim * outDim);
        all.scale.set(r.scale, h * outDim);
      }
      return all;
    });
  }
  const w = ctx.weights.computed(graph, hint, [H, inDim, outDim], ctx.computeType, async () => {
    if (!transposed) return (await ctx.weights.f32(name)).subarray(row0 * d, (row0 + d) * d);
    const t = new Float32Array(d * d);
    for (let h = 0; h < H; h++) t.set(transpose(await head(h), hd, d), h * d * hd);
    return t;
  });
  return graph.node('MatMul', [x, w]);
}

/** The causal mask of one query row per sequence: [N or 1, 1, L], -inf for keys after the row. */
function keyMask(ctx: BuildCtx, options: StackOptions, row: number | string): string {
  const { graph } = ctx;
  const len = options.runtimeSeq
    ? graph.node('Reshape', [options.runtimeSeq, i64(ctx, [], [0])])
    : i64(ctx, [options.seq], []);
  const keys = graph.node('Range', [i64(ctx, [0], []), len, i64(ctx, [1], [])]); // [L]
  const at = typeof row === 'number' ? i64(ctx, [row], [1, 1]) : row; // [N or 1, 1]
  const masked = graph.node('Greater', [keys, at]); // [N or 1, L]
  const m = graph.node('Where', [masked, cconst(ctx, [-Infinity]), cconst(ctx, [0])]);
  return graph.node('Unsqueeze', [m, i64(ctx, [1])]);
}

/** Multi-head self-attention of one block, before its output projection: [N·L, D] -> [N·L, D]. */
function selfAttention(
  ctx: BuildCtx,
  h: string,
  n: BlockNames,
  options: StackOptions,
  mask: string | null,
  shape: string,
): string {
  const { graph } = ctx;
  const d = options.width;
  const hint = `${n.ln1.replace(/\.[^.]*$/, '')}.attn`;
  if (ctx.contrib) {
    // com.microsoft Attention: the qkv projection, scaling by 1/√head_dim, (causal) softmax and P·V in
    // one kernel. It takes [N, L, D] input and an [in, 3D] weight (q|k|v columns), the transpose of
    // torch's in_proj_weight.
    const weight = ctx.weights.computed(graph, `${hint}.qkv.weight`, [d, 3 * d], DataType.FLOAT, async () =>
      transpose(await ctx.weights.f32(n.qkvWeight), 3 * d, d),
    );
    const bias = n.qkvBias
      ? ctx.weights.direct(graph, n.qkvBias, DataType.FLOAT, undefined, `${hint}.qkv.bias`)
      : ctx.weights.computed(graph, `${hint}.qkv.bias`, [3 * d], DataType.FLOAT, async () => new Float32Array(3 * d));
    const x3 = graph.node('Reshape', [h, shape]);
    const attrs = { num_heads: options.heads, ...(options.causal ? { unidirectional: 1 } : {}) };
    return graph.node('Reshape', [graph.node('Attention', [x3, weight, bias], attrs, MS), i64(ctx, [-1, d])]);
  }
  const s = 1 / Math.sqrt(d / options.heads);
  // One [N·L, 3D] Gemm is faster than three [N·L, D] ones; Split is a cheap copy.
  const qkv = linear(
    ctx,
    h,
    `${hint}.qkv`,
    d,
    3 * d,
    { name: n.qkvWeight, layout: 'torch', scale: s, scaleUpTo: d },
    n.qkvBias ? { name: n.qkvBias, scale: s, scaleUpTo: d } : null,
  );
  const [qp, kp, vp] = graph.nodeN('Split', [qkv, i64(ctx, [d, d, d])], 3, { axis: -1 }) as [string, string, string];
  const qh = graph.node('Transpose', [graph.node('Reshape', [qp, shape])], { perm: [0, 2, 1, 3] });
  const kt = graph.node('Transpose', [graph.node('Reshape', [kp, shape])], { perm: [0, 2, 3, 1] });
  const vh = graph.node('Transpose', [graph.node('Reshape', [vp, shape])], { perm: [0, 2, 1, 3] });
  let scores = graph.node('MatMul', [qh, kt]);
  if (mask) scores = graph.node('Add', [scores, mask]);
  const attended = graph.node('MatMul', [softmax(ctx, scores), vh]); // [N, H, L, hd]
  return graph.node('Reshape', [graph.node('Transpose', [attended], { perm: [0, 2, 1, 3] }), i64(ctx, [-1, d])]);
}

/** A row-major [rows, cols] matrix transposed to [cols, rows], in 32×32 tiles so both sides stay in cache. */
function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(i0 + B, rows);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(j0 + B, cols);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) t[j * rows + i] = m[i * cols + j] as number;
    }
  }
  return t;
}

/** Linear → activation → Linear with `<name>.weight` / `<name>.bias` torch layers. */
export function mlp(
  ctx: BuildCtx,
  x: string,
  fc1: string,
  fc2: string,
  d: number,
  hidden: number,
  act: Activation,
  ls: { gamma?: string } = {},
): string {
  const h = linear(ctx, x, fc1, d, hidden, { name: `${fc1}.weight`, layout: 'torch' }, { name: `${fc1}.bias` });
  return linear(
    ctx,
    activation(ctx, h, act),
    fc2,
    hidden,
    d,
    { name: `${fc2}.weight`, layout: 'torch', ...ls },
    { name: `${fc2}.bias`, ...ls },
  );
}

/** F.normalize(x, dim=-1): x / max(‖x‖₂, 1e-12). */
export function l2Normalize(ctx: BuildCtx, x: string): string {
  const { graph } = ctx;
  const n = reduce(ctx, 'ReduceL2', x, [-1], true);
  return graph.node('Div', [x, graph.node('Max', [n, graph.constant([1e-12], [], DataType.FLOAT)])]);
}

/** Reduce* with axes as an attribute (opset < 18) or an input (opset >= 18). */
export function reduce(
  ctx: BuildCtx,
  op: 'ReduceMean' | 'ReduceL2',
  x: string,
  axes: number[],
  keepdims: boolean,
): string {
  const { graph } = ctx;
  if (graph.opset >= 18) return graph.node(op, [x, i64(ctx, axes)], { keepdims: keepdims ? 1 : 0 });
  return graph.node(op, [x], { axes, keepdims: keepdims ? 1 : 0 });
}
