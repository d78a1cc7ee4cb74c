import type { GraphBuilder } from './graph.js';
import { DataType, type DataTypeId } from './proto.js';
import { quantizePerChannel } from './quantize.js';
import { transpose2d } from './tensor-math.js';
import type { Activation, ExportDType } from './types.js';
import type { WeightLoader } from './weight-loader.js';

/** What every tower builder needs: the graph, the weights, the export mode and the compute dtype. */
export interface BuildCtx {
  g: GraphBuilder;
  w: WeightLoader;
  mode: ExportDType;
  /** FLOAT16 for fp16 exports, FLOAT otherwise (int8 quantizes weights only; activations stay float32). */
  cdt: DataTypeId;
}

export type FloatProducer = () => Promise<Float32Array>;

/** A scalar or vector constant in the compute dtype. */
export function cconst(c: BuildCtx, values: number[], dims: number[] = []): string {
  return c.g.constant(values, dims, c.cdt);
}

export function i64(c: BuildCtx, values: number[], dims: number[] = [values.length]): string {
  return c.g.constant(values, dims, DataType.INT64);
}

/**
 * A torch nn.Linear weight [out, in] (optionally rows [r0, r1) of it, e.g. q/k/v of in_proj_weight) as a
 * [in, out] matrix for MatMul, with a per-output scale folded in (attention 1/sqrt(d), layer scale gamma).
 */
export function torchLinear(c: BuildCtx, name: string, rows?: [number, number], scale?: number, gamma?: string): FloatProducer {
  return async () => {
    const [out0, inDim] = c.w.shape(name) as [number, number];
    const [r0, r1] = rows ?? [0, out0];
    const full = await c.w.f32(name);
    const t = transpose2d(full.subarray(r0 * inDim, r1 * inDim), r1 - r0, inDim);
    const outDim = r1 - r0;
    const g = gamma ? await gammaOf(c, gamma) : null;
    if (scale !== undefined || g) {
      for (let i = 0; i < inDim; i++) {
        for (let j = 0; j < outDim; j++) t[i * outDim + j] = (t[i * outDim + j] as number) * (scale ?? 1) * (g ? (g[j] as number) : 1);
      }
    }
    return t;
  };
}

function gammaOf(c: BuildCtx, name: string): Promise<Float32Array> {
  return c.w.f32(name);
}

/** A bias vector (optionally a slice, scaled as its weight was). */
export function vector(c: BuildCtx, name: string, range?: [number, number], scale?: number, gamma?: string): FloatProducer {
  return async () => {
    const full = await c.w.f32(name);
    const v = Float32Array.from(range ? full.subarray(range[0], range[1]) : full);
    const g = gamma ? await gammaOf(c, gamma) : null;
    for (let j = 0; j < v.length; j++) v[j] = (v[j] as number) * (scale ?? 1) * (g ? (g[j] as number) : 1);
    return v;
  };
}

/** x @ W + b for x [..., in]; int8 mode uses the dynamic-quantization pattern onnxruntime fuses. */
export function linear(c: BuildCtx, x: string, hint: string, inDim: number, outDim: number, weight: FloatProducer, bias: FloatProducer | null): string {
  const { g } = c;
  let y: string;
  if (c.mode === 'int8') {
    // Quantize once, lazily; both initializers read from the same result.
    let q: Promise<{ q: Int8Array; scale: Float32Array }> | null = null;
    const quant = () => (q ??= weight().then((w) => quantizePerChannel(w, inDim, outDim)));
    const wq = g.initializer(`${hint}.weight_q`, [inDim, outDim], DataType.INT8, async () => {
      const r = (await quant()).q;
      return new Uint8Array(r.buffer, r.byteOffset, r.byteLength);
    });
    const ws = c.w.computed(g, `${hint}.weight_scale`, [outDim], DataType.FLOAT, async () => {
      const scale = (await quant()).scale;
      q = null; // written after weight_q: release the quantized copy
      return scale;
    });
    const [xq, xs, xz] = g.nodeN('DynamicQuantizeLinear', [x], 3) as [string, string, string];
    const acc = g.node('MatMulInteger', [xq, wq, xz]);
    const accF = g.node('Cast', [acc], { to: DataType.FLOAT });
    const s = g.node('Mul', [xs, ws]);
    y = g.node('Mul', [accF, s]);
  } else {
    const w = c.w.computed(g, `${hint}.weight`, [inDim, outDim], c.cdt, weight);
    y = g.node('MatMul', [x, w]);
  }
  if (!bias) return y;
  const b = c.w.computed(g, `${hint}.bias`, [outDim], c.cdt, bias);
  return g.node('Add', [y, b]);
}

/** LayerNormalization over the last axis; in fp16 exports it runs in float32 (open_clip's LayerNormFp32). */
export function layerNorm(c: BuildCtx, x: string, name: string, eps: number): string {
  const { g } = c;
  const scale = c.w.direct(g, `${name}.weight`, DataType.FLOAT);
  const bias = c.w.direct(g, `${name}.bias`, DataType.FLOAT);
  const input = c.cdt === DataType.FLOAT16 ? g.node('Cast', [x], { to: DataType.FLOAT }) : x;
  const y = g.node('LayerNormalization', [input, scale, bias], { axis: -1, epsilon: { float: eps } });
  return c.cdt === DataType.FLOAT16 ? g.node('Cast', [y], { to: DataType.FLOAT16 }) : y;
}

export function activation(c: BuildCtx, x: string, act: Activation): string {
  const { g } = c;
  switch (act) {
    case 'relu':
      return g.node('Relu', [x]);
    case 'quick_gelu':
      return g.node('Mul', [x, g.node('Sigmoid', [g.node('Mul', [x, cconst(c, [1.702])])])]);
    case 'gelu':
      if (g.opset >= 20) return g.node('Gelu', [x], { approximate: 'none' });
      {
        // 0.5·x·(1 + erf(x/√2)): the shape onnxruntime's GeluFusion recognizes
        const e = g.node('Erf', [g.node('Div', [x, cconst(c, [Math.SQRT2])])]);
        return g.node('Mul', [g.node('Mul', [x, g.node('Add', [e, cconst(c, [1])])]), cconst(c, [0.5])]);
      }
    case 'gelu_tanh':
      if (g.opset >= 20) return g.node('Gelu', [x], { approximate: 'tanh' });
      {
        // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
        const x3 = g.node('Mul', [g.node('Mul', [x, x]), x]);
        const inner = g.node('Add', [x, g.node('Mul', [x3, cconst(c, [0.044715])])]);
        const t = g.node('Tanh', [g.node('Mul', [inner, cconst(c, [Math.sqrt(2 / Math.PI)])])]);
        return g.node('Mul', [g.node('Mul', [x, cconst(c, [0.5])]), g.node('Add', [t, cconst(c, [1])])]);
      }
  }
}

export function softmax(c: BuildCtx, x: string): string {
  const { g } = c;
  if (c.cdt !== DataType.FLOAT16) return g.node('Softmax', [x], { axis: -1 });
  const y = g.node('Softmax', [g.node('Cast', [x], { to: DataType.FLOAT })], { axis: -1 });
  return g.node('Cast', [y], { to: DataType.FLOAT16 });
}

export interface AttnWeights {
  q: { weight: FloatProducer; bias: FloatProducer };
  k: { weight: FloatProducer; bias: FloatProducer };
  v: { weight: FloatProducer; bias: FloatProducer };
  out: { weight: FloatProducer; bias: FloatProducer };
}

/**
 * Multi-head attention, batch first. `q` is [N, Lq, Dq] (or [Lq, Dq] for learned queries shared by the
 * batch), `kv` is [N, Lk, Dk]. The 1/sqrt(head_dim) scale is folded into the q projection; the key is
 * transposed once so Q·Kᵀ is one MatMul; `mask` is an additive [Lq, Lk] constant.
 */
export function attention(
  c: BuildCtx,
  q: string,
  kv: string,
  o: { hint: string; dim: number; outDim?: number; qIn: number; kvIn: number; heads: number; mask: string | null; sharedQuery: boolean; weights: AttnWeights },
): string {
  const { g } = c;
  const hd = o.dim / o.heads;
  const lin = (x: string, name: string, inDim: number, p: { weight: FloatProducer; bias: FloatProducer }) =>
    linear(c, x, `${o.hint}.${name}`, inDim, o.dim, p.weight, p.bias);
  const split = i64(c, [0, 0, o.heads, hd]);
  let qh: string;
  if (o.sharedQuery) {
    const qp = g.node('Reshape', [lin(q, 'q', o.qIn, o.weights.q), i64(c, [0, o.heads, hd])]);
    qh = g.node('Transpose', [qp], { perm: [1, 0, 2] }); // [H, Lq, hd], broadcast over the batch
  } else {
    qh = g.node('Transpose', [g.node('Reshape', [lin(q, 'q', o.qIn, o.weights.q), split])], { perm: [0, 2, 1, 3] });
  }
  const kt = g.node('Transpose', [g.node('Reshape', [lin(kv, 'k', o.kvIn, o.weights.k), split])], { perm: [0, 2, 3, 1] });
  const vh = g.node('Transpose', [g.node('Reshape', [lin(kv, 'v', o.kvIn, o.weights.v), split])], { perm: [0, 2, 1, 3] });
  let scores = g.node('MatMul', [qh, kt]);
  if (o.mask) scores = g.node('Add', [scores, o.mask]);
  const ctx = g.node('MatMul', [softmax(c, scores), vh]); // [N, H, Lq, hd]
  const merged = g.node('Reshape', [g.node('Transpose', [ctx], { perm: [0, 2, 1, 3] }), i64(c, [0, 0, o.dim])]);
  return linear(c, merged, `${o.hint}.out`, o.dim, o.outDim ?? o.dim, o.weights.out.weight, o.weights.out.bias);
}

/** open_clip ResidualAttentionBlock: x + ls1·attn(ln_1(x)); x + ls2·mlp(ln_2(x)). Layer scale is folded into weights. */
export function residualBlock(
  c: BuildCtx,
  x: string,
  p: string,
  o: { width: number; heads: number; mlp: number; eps: number; layerScale: boolean; act: Activation; mask: string | null },
): string {
  const { g } = c;
  const d = o.width;
  const s = 1 / Math.sqrt(d / o.heads);
  const gamma1 = o.layerScale ? `${p}ls_1.gamma` : undefined;
  const gamma2 = o.layerScale ? `${p}ls_2.gamma` : undefined;
  const inW = `${p}attn.in_proj_weight`;
  const inB = `${p}attn.in_proj_bias`;
  const h = layerNorm(c, x, `${p}ln_1`, o.eps);
  const a = attention(c, h, h, {
    hint: `${p}attn`,
    dim: d,
    qIn: d,
    kvIn: d,
    heads: o.heads,
    mask: o.mask,
    sharedQuery: false,
    weights: {
      q: { weight: torchLinear(c, inW, [0, d], s), bias: vector(c, inB, [0, d], s) },
      k: { weight: torchLinear(c, inW, [d, 2 * d]), bias: vector(c, inB, [d, 2 * d]) },
      v: { weight: torchLinear(c, inW, [2 * d, 3 * d]), bias: vector(c, inB, [2 * d, 3 * d]) },
      out: {
        weight: torchLinear(c, `${p}attn.out_proj.weight`, undefined, undefined, gamma1),
        bias: vector(c, `${p}attn.out_proj.bias`, undefined, undefined, gamma1),
      },
    },
  });
  const x1 = g.node('Add', [x, a]);
  const h2 = layerNorm(c, x1, `${p}ln_2`, o.eps);
  const f = activation(c, linear(c, h2, `${p}mlp.c_fc`, d, o.mlp, torchLinear(c, `${p}mlp.c_fc.weight`), vector(c, `${p}mlp.c_fc.bias`)), o.act);
  const m = linear(c, f, `${p}mlp.c_proj`, o.mlp, d, torchLinear(c, `${p}mlp.c_proj.weight`, undefined, undefined, gamma2), vector(c, `${p}mlp.c_proj.bias`, undefined, undefined, gamma2));
  return g.node('Add', [x1, m]);
}

/** F.normalize(x, dim=-1): x / max(‖x‖₂, 1e-12). */
export function l2Normalize(c: BuildCtx, x: string): string {
  const { g } = c;
  const n = reduce(c, 'ReduceL2', x, [-1], true);
  return g.node('Div', [x, g.node('Max', [n, g.constant([1e-12], [], DataType.FLOAT)])]);
}

/** Reduce* with axes as an attribute (opset < 18) or an input (opset >= 18). */
export function reduce(c: BuildCtx, op: 'ReduceMean' | 'ReduceL2', x: string, axes: number[], keepdims: boolean): string {
  const { g } = c;
  if (g.opset >= 18) return g.node(op, [x, i64(c, axes)], { keepdims: keepdims ? 1 : 0 });
  return g.node(op, [x], { axes, keepdims: keepdims ? 1 : 0 });
}
