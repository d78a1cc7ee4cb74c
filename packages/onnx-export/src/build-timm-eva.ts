import {
  type BiasRef,
  type BuildCtx,
  i64,
  layerNorm,
  linear,
  mlp,
  MS,
  softmax,
  torchLinear,
  type WeightRef,
} from './blocks.js';
import { evaRopeTables } from './eva-rope.js';
import type { TimmEvaSpec } from './resolve-config.js';
import { timmAttentionPoolLatent, timmHeadProj } from './timm-attention-pool.js';
import type { Activation } from './types.js';

const T = 'visual.trunk.';

/**
 * open_clip TimmModel over timm's Eva (EVA01-g, EVA02 B/L/E, PE-Core): patch conv, class token and
 * absolute positions, optional pre-norm, pre-norm or post-norm blocks with 2-D RoPE on q and k,
 * SwiGLU with sub-LayerNorm or a GELU MLP, final norm, class-token or MAP pooling, then the trunk's
 * head (or open_clip's head.proj). Runs on [N·T, W] rows so every linear layer is one Gemm.
 */
export function buildTimmEva(givenCtx: BuildCtx, spec: TimmEvaSpec, pixels: string, act: Activation): string {
  // EVA02's SwiGLU towers lose too much to per-tensor dynamic activation quantization (full-size
  // EVA02-B-16 with perturbed weights: min cos 0.96 in onnxruntime and in a torch simulation of the
  // same scheme, 0.992 with weights alone quantized), so their int8 exports quantize weights only.
  const ctx: BuildCtx = spec.swiglu && givenCtx.mode === 'int8' ? { ...givenCtx, int8WeightOnly: true } : givenCtx;
  const { graph, weights } = ctx;
  const W = spec.width;
  const grid = Math.floor(spec.image / spec.patch);
  const L = grid * grid;
  const prefix = spec.classToken ? 1 : 0;
  const seq = L + prefix;
  const convIn = [pixels, weights.direct(graph, `${T}patch_embed.proj.weight`, ctx.computeType)];
  if (!spec.preNorm) convIn.push(weights.direct(graph, `${T}patch_embed.proj.bias`, ctx.computeType));
  const conv = graph.node('Conv', convIn, {
    kernel_shape: [spec.patch, spec.patch],
    strides: [spec.patch, spec.patch],
  });
  let tokens = graph.node('Transpose', [graph.node('Reshape', [conv, i64(ctx, [0, W, L])])], { perm: [0, 2, 1] });
  if (spec.classToken) {
    // A zero row in front plus a constant holding cls_token + pos_embed[0]: no Expand/Concat on the batch.
    tokens = graph.node('Pad', [tokens, i64(ctx, [0, 1, 0, 0, 0, 0])]);
    const embed = weights.computed(graph, `${T}embed`, [seq, W], ctx.computeType, async () => {
      const cls = await weights.f32(`${T}cls_token`);
      const pos = Float32Array.from(await weights.f32(`${T}pos_embed`));
      for (let i = 0; i < W; i++) pos[i] = Math.fround((pos[i] as number) + (cls[i] as number));
      return pos;
    });
    tokens = graph.node('Add', [tokens, embed]);
  } else {
    tokens = graph.node('Add', [tokens, weights.direct(graph, `${T}pos_embed`, ctx.computeType)]);
  }
  let x = graph.node('Reshape', [tokens, i64(ctx, [-1, W])]);
  if (spec.preNorm) x = layerNorm(ctx, x, `${T}norm_pre`, spec.eps);

  const rope = spec.rope ? ropeInputs(ctx, spec, grid, prefix) : null;
  for (let i = 0; i < spec.depth; i++) {
    const b = `${T}blocks.${i}.`;
    if (spec.postNorm) {
      x = graph.node('Add', [x, layerNorm(ctx, evaAttention(ctx, spec, x, b, seq, rope), `${b}norm1`, spec.eps)]);
      x = graph.node('Add', [x, layerNorm(ctx, evaMlp(ctx, spec, x, b, act), `${b}norm2`, spec.eps)]);
    } else {
      x = graph.node('Add', [x, evaAttention(ctx, spec, layerNorm(ctx, x, `${b}norm1`, spec.eps), b, seq, rope)]);
      x = graph.node('Add', [x, evaMlp(ctx, spec, layerNorm(ctx, x, `${b}norm2`, spec.eps), b, act)]);
    }
  }
  x = layerNorm(ctx, x, `${T}norm`, spec.eps);

  const pooled =
    spec.pool === 'token'
      ? graph.node('Gather', [graph.node('Reshape', [x, i64(ctx, [-1, seq, W])]), i64(ctx, [0], [])], { axis: 1 })
      : timmAttentionPoolLatent(ctx, x, seq, act, {
          width: W,
          heads: spec.attnPoolHeads,
          mlpWidth: spec.attnPoolMlpWidth,
          eps: spec.eps,
        });
  if (spec.proj === 'none') return pooled;
  if (spec.proj === 'head') return torchLinear(ctx, pooled, `${T}head`, W, spec.outputDim);
  return timmHeadProj(ctx, spec, pooled);
}

type RopeInputs =
  | { kind: 'tables'; cos: string; sin: string; swap: string }
  | { kind: 'contrib'; cos: string; sin: string; start: string; heads: number };

/**
 * RoPE per token over all heads, the prefix (class) token left unrotated as timm does (cos 1, sin 0).
 * With contrib ops: onnxruntime's fused RotaryEmbedding (interleaved pairs) on [seq, headDim/2] caches,
 * position p reading row p; one kernel instead of the Gather, two Muls and an Add below, several times
 * faster in onnxruntime. Otherwise q·cos + swap(q)·sin' on [T, W] tables: timm's rot() maps pair (a, b)
 * to (-b, a), so swap exchanges the two and sin' carries the minus on even lanes.
 */
function ropeInputs(ctx: BuildCtx, spec: TimmEvaSpec, grid: number, prefix: number): RopeInputs {
  const { graph, weights } = ctx;
  const W = spec.width;
  const hd = W / spec.heads;
  const seq = grid * grid + prefix;
  let tables: { sin: Float32Array; cos: Float32Array } | null = null;
  const once = () => (tables ??= evaRopeTables(grid, hd, spec.rope as NonNullable<TimmEvaSpec['rope']>));
  if (ctx.contrib) {
    // the tables repeat each value over a pair: one per pair, prefix rows cos 1 and sin 0
    const cache = (which: 'sin' | 'cos') => async () => {
      const src = once()[which];
      const out = new Float32Array(seq * (hd / 2)).fill(which === 'cos' ? 1 : 0, 0, prefix * (hd / 2));
      for (let t = 0; t < grid * grid; t++)
        for (let k = 0; k < hd / 2; k++) out[(t + prefix) * (hd / 2) + k] = src[t * hd + 2 * k] as number;
      return out;
    };
    return {
      kind: 'contrib',
      cos: weights.computed(graph, `${T}rope.cos_cache`, [seq, hd / 2], ctx.computeType, cache('cos')),
      sin: weights.computed(graph, `${T}rope.sin_cache`, [seq, hd / 2], ctx.computeType, cache('sin')),
      start: i64(ctx, [0]), // positions 0..seq-1
      heads: spec.heads,
    };
  }
  const tiled = (which: 'sin' | 'cos') => async () => {
    const src = once()[which];
    const out = new Float32Array(seq * W);
    for (let p = 0; p < prefix; p++) if (which === 'cos') out.fill(1, p * W, (p + 1) * W);
    for (let t = 0; t < grid * grid; t++) {
      for (let h = 0; h < spec.heads; h++) {
        for (let k = 0; k < hd; k++) {
          const v = src[t * hd + k] as number;
          out[(t + prefix) * W + h * hd + k] = which === 'sin' && k % 2 === 0 ? -v : v;
        }
      }
    }
    return out;
  };
  return {
    kind: 'tables',
    cos: weights.computed(graph, `${T}rope.cos`, [seq, W], ctx.computeType, tiled('cos')),
    sin: weights.computed(graph, `${T}rope.sin_signed`, [seq, W], ctx.computeType, tiled('sin')),
    swap: i64(
      ctx,
      Array.from({ length: W }, (_, k) => (k % 2 === 0 ? k + 1 : k - 1)),
    ),
  };
}

function applyRope(ctx: BuildCtx, x: string, seq: number, width: number, r: RopeInputs): string {
  const { graph } = ctx;
  const x3 = graph.node('Reshape', [x, i64(ctx, [-1, seq, width])]);
  if (r.kind === 'contrib')
    return graph.node('RotaryEmbedding', [x3, r.start, r.cos, r.sin], { interleaved: 1, num_heads: r.heads }, MS);
  const swapped = graph.node('Gather', [x3, r.swap], { axis: 2 });
  return graph.node('Add', [graph.node('Mul', [x3, r.cos]), graph.node('Mul', [swapped, r.sin])]);
}

/** EvaAttention / AttentionRope on [N·T, W] rows, output projection included. */
function evaAttention(
  ctx: BuildCtx,
  spec: TimmEvaSpec,
  h: string,
  b: string,
  seq: number,
  rope: RopeInputs | null,
): string {
  const { graph, weights } = ctx;
  const W = spec.width;
  const H = spec.heads;
  const hd = W / H;
  const scale = 1 / Math.sqrt(hd); // folded into the q weights (RoPE is linear, so it commutes)
  const a = `${b}attn.`;
  let q: string;
  let k: string;
  let v: string;
  if (spec.qkv === 'separate') {
    q = linear(
      ctx,
      h,
      `${a}q_proj`,
      W,
      W,
      { name: `${a}q_proj.weight`, layout: 'torch', scale },
      { name: `${a}q_proj.bias`, scale },
    );
    k = linear(ctx, h, `${a}k_proj`, W, W, { name: `${a}k_proj.weight`, layout: 'torch' }, null);
    v = linear(ctx, h, `${a}v_proj`, W, W, { name: `${a}v_proj.weight`, layout: 'torch' }, { name: `${a}v_proj.bias` });
  } else {
    const weight: WeightRef = { name: `${a}qkv.weight`, layout: 'torch', scale, scaleUpTo: W };
    let qkv: string;
    if (spec.qkv === 'fused') {
      const bias: BiasRef = { name: `${a}qkv.bias`, scale, scaleUpTo: W };
      qkv = linear(ctx, h, `${a}qkv`, W, 3 * W, weight, bias);
    } else {
      // q_bias | zeros (timm's k_bias buffer) | v_bias
      const bias = weights.computed(graph, `${a}qkv.bias`, [3 * W], ctx.computeType, async () => {
        const out = new Float32Array(3 * W);
        const qb = await weights.f32(`${a}q_bias`);
        for (let i = 0; i < W; i++) out[i] = Math.fround((qb[i] as number) * scale);
        out.set(await weights.f32(`${a}v_bias`), 2 * W);
        return out;
      });
      qkv = graph.node('Add', [linear(ctx, h, `${a}qkv`, W, 3 * W, weight, null), bias]);
    }
    [q, k, v] = graph.nodeN('Split', [qkv, i64(ctx, [W, W, W])], 3, { axis: -1 }) as [string, string, string];
  }
  if (rope) {
    q = applyRope(ctx, q, seq, W, rope);
    k = applyRope(ctx, k, seq, W, rope);
  }
  if (ctx.contrib) {
    // onnxruntime's fused MultiHeadAttention on [N, T, W]; the 1/√head_dim scale is already in q
    const seq3 = i64(ctx, [-1, seq, W]);
    const as3 = (t: string) => (rope && t !== v ? t : graph.node('Reshape', [t, seq3]));
    const fused = graph.node('MultiHeadAttention', [as3(q), as3(k), as3(v)], { num_heads: H, scale: { float: 1 } }, MS);
    return project(ctx, spec, graph.node('Reshape', [fused, i64(ctx, [-1, W])]), a);
  }
  const shape = i64(ctx, [-1, seq, H, hd]);
  const qh = graph.node('Transpose', [graph.node('Reshape', [q, shape])], { perm: [0, 2, 1, 3] });
  const kt = graph.node('Transpose', [graph.node('Reshape', [k, shape])], { perm: [0, 2, 3, 1] });
  const vh = graph.node('Transpose', [graph.node('Reshape', [v, shape])], { perm: [0, 2, 1, 3] });
  const attended = graph.node('MatMul', [softmax(ctx, graph.node('MatMul', [qh, kt])), vh]); // [N, H, T, hd]
  return project(
    ctx,
    spec,
    graph.node('Reshape', [graph.node('Transpose', [attended], { perm: [0, 2, 1, 3] }), i64(ctx, [-1, W])]),
    a,
  );
}

/** The attention output [N·T, W]: optional inner LayerNorm (scale_attn_inner), then proj. */
function project(ctx: BuildCtx, spec: TimmEvaSpec, merged: string, a: string): string {
  const W = spec.width;
  const y = spec.attnNorm ? layerNorm(ctx, merged, `${a}norm`, spec.eps) : merged;
  return linear(ctx, y, `${a}proj`, W, W, { name: `${a}proj.weight`, layout: 'torch' }, { name: `${a}proj.bias` });
}

/** GELU Mlp, or SwiGLU with its sub-LayerNorm: fc2(norm(silu(fc1_g(x)) · fc1_x(x))). */
function evaMlp(ctx: BuildCtx, spec: TimmEvaSpec, x: string, b: string, act: Activation): string {
  const { graph } = ctx;
  const m = `${b}mlp.`;
  if (!spec.swiglu) return mlp(ctx, x, `${m}fc1`, `${m}fc2`, spec.width, spec.mlpWidth, act);
  const lin = (n: string, i: number, o: number, y: string) =>
    linear(ctx, y, `${m}${n}`, i, o, { name: `${m}${n}.weight`, layout: 'torch' }, { name: `${m}${n}.bias` });
  const gate = lin('fc1_g', spec.width, spec.mlpWidth, x);
  const silu = graph.node('Mul', [gate, graph.node('Sigmoid', [gate])]);
  const hidden = graph.node('Mul', [silu, lin('fc1_x', spec.width, spec.mlpWidth, x)]);
  return lin('fc2', spec.mlpWidth, spec.width, layerNorm(ctx, hidden, `${m}norm`, spec.eps));
}
