import { type BiasRef, type BuildCtx, i64, layerNorm, linear, mlp, MS, softmax, type WeightRef } from './blocks.js';
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
export function buildTimmEva(ctx: BuildCtx, s: TimmEvaSpec, pixels: string, act: Activation): string {
  // EVA02's SwiGLU towers lose too much to per-tensor dynamic activation quantization (full-size
  // EVA02-B-16 with perturbed weights: min cos 0.96 in onnxruntime and in a torch simulation of the
  // same scheme, 0.992 with weights alone quantized), so their int8 exports quantize weights only.
  const c: BuildCtx = s.swiglu && ctx.mode === 'int8' ? { ...ctx, int8WeightOnly: true } : ctx;
  const { g, w } = c;
  const W = s.width;
  const grid = Math.floor(s.image / s.patch);
  const L = grid * grid;
  const prefix = s.classToken ? 1 : 0;
  const seq = L + prefix;
  const convIn = [pixels, w.direct(g, `${T}patch_embed.proj.weight`, c.cdt)];
  if (!s.preNorm) convIn.push(w.direct(g, `${T}patch_embed.proj.bias`, c.cdt));
  const conv = g.node('Conv', convIn, { kernel_shape: [s.patch, s.patch], strides: [s.patch, s.patch] });
  let tokens = g.node('Transpose', [g.node('Reshape', [conv, i64(c, [0, W, L])])], { perm: [0, 2, 1] });
  if (s.classToken) {
    // A zero row in front plus a constant holding cls_token + pos_embed[0]: no Expand/Concat on the batch.
    tokens = g.node('Pad', [tokens, i64(c, [0, 1, 0, 0, 0, 0])]);
    const embed = w.computed(g, `${T}embed`, [seq, W], c.cdt, async () => {
      const cls = await w.f32(`${T}cls_token`);
      const pos = Float32Array.from(await w.f32(`${T}pos_embed`));
      for (let i = 0; i < W; i++) pos[i] = Math.fround((pos[i] as number) + (cls[i] as number));
      return pos;
    });
    tokens = g.node('Add', [tokens, embed]);
  } else {
    tokens = g.node('Add', [tokens, w.direct(g, `${T}pos_embed`, c.cdt)]);
  }
  let x = g.node('Reshape', [tokens, i64(c, [-1, W])]);
  if (s.preNorm) x = layerNorm(c, x, `${T}norm_pre`, s.eps);

  const rope = s.rope ? ropeInputs(c, s, grid, prefix) : null;
  for (let i = 0; i < s.depth; i++) {
    const b = `${T}blocks.${i}.`;
    if (s.postNorm) {
      x = g.node('Add', [x, layerNorm(c, evaAttention(c, s, x, b, seq, rope), `${b}norm1`, s.eps)]);
      x = g.node('Add', [x, layerNorm(c, evaMlp(c, s, x, b, act), `${b}norm2`, s.eps)]);
    } else {
      x = g.node('Add', [x, evaAttention(c, s, layerNorm(c, x, `${b}norm1`, s.eps), b, seq, rope)]);
      x = g.node('Add', [x, evaMlp(c, s, layerNorm(c, x, `${b}norm2`, s.eps), b, act)]);
    }
  }
  x = layerNorm(c, x, `${T}norm`, s.eps);

  const pooled =
    s.pool === 'token'
      ? g.node('Gather', [g.node('Reshape', [x, i64(c, [-1, seq, W])]), i64(c, [0], [])], { axis: 1 })
      : timmAttentionPoolLatent(c, x, seq, act, {
          width: W,
          heads: s.attnPoolHeads,
          mlpWidth: s.attnPoolMlpWidth,
          eps: s.eps,
        });
  if (s.proj === 'none') return pooled;
  if (s.proj === 'head')
    return linear(
      c,
      pooled,
      `${T}head`,
      W,
      s.outputDim,
      { name: `${T}head.weight`, layout: 'torch' },
      { name: `${T}head.bias` },
    );
  return timmHeadProj(c, s, pooled);
}

interface RopeInputs {
  cos: string;
  sin: string;
  swap: string;
}

/**
 * RoPE as q·cos + swap(q)·sin', per token over all heads: [T, W] tables with cos 1 and sin 0 on the
 * prefix (class) token, which timm leaves unrotated. timm's rot() maps pair (a, b) to (-b, a), so
 * swap exchanges the two and sin' carries the minus on even lanes.
 */
function ropeInputs(c: BuildCtx, s: TimmEvaSpec, grid: number, prefix: number): RopeInputs {
  const { g, w } = c;
  const W = s.width;
  const hd = W / s.heads;
  const seq = grid * grid + prefix;
  let tables: { sin: Float32Array; cos: Float32Array } | null = null;
  const once = () => (tables ??= evaRopeTables(grid, hd, s.rope as NonNullable<TimmEvaSpec['rope']>));
  const tiled = (which: 'sin' | 'cos') => async () => {
    const src = once()[which];
    const out = new Float32Array(seq * W);
    for (let p = 0; p < prefix; p++) if (which === 'cos') out.fill(1, p * W, (p + 1) * W);
    for (let t = 0; t < grid * grid; t++) {
      for (let h = 0; h < s.heads; h++) {
        for (let k = 0; k < hd; k++) {
          const v = src[t * hd + k] as number;
          out[(t + prefix) * W + h * hd + k] = which === 'sin' && k % 2 === 0 ? -v : v;
        }
      }
    }
    return out;
  };
  return {
    cos: w.computed(g, `${T}rope.cos`, [seq, W], c.cdt, tiled('cos')),
    sin: w.computed(g, `${T}rope.sin_signed`, [seq, W], c.cdt, tiled('sin')),
    swap: i64(
      c,
      Array.from({ length: W }, (_, k) => (k % 2 === 0 ? k + 1 : k - 1)),
    ),
  };
}

function applyRope(c: BuildCtx, x: string, seq: number, width: number, r: RopeInputs): string {
  const { g } = c;
  const x3 = g.node('Reshape', [x, i64(c, [-1, seq, width])]);
  const swapped = g.node('Gather', [x3, r.swap], { axis: 2 });
  return g.node('Add', [g.node('Mul', [x3, r.cos]), g.node('Mul', [swapped, r.sin])]);
}

/** EvaAttention / AttentionRope on [N·T, W] rows, output projection included. */
function evaAttention(c: BuildCtx, s: TimmEvaSpec, h: string, b: string, seq: number, rope: RopeInputs | null): string {
  const { g, w } = c;
  const W = s.width;
  const H = s.heads;
  const hd = W / H;
  const scale = 1 / Math.sqrt(hd); // folded into the q weights (RoPE is linear, so it commutes)
  const a = `${b}attn.`;
  let q: string;
  let k: string;
  let v: string;
  if (s.qkv === 'separate') {
    q = linear(
      c,
      h,
      `${a}q_proj`,
      W,
      W,
      { name: `${a}q_proj.weight`, layout: 'torch', scale },
      { name: `${a}q_proj.bias`, scale },
    );
    k = linear(c, h, `${a}k_proj`, W, W, { name: `${a}k_proj.weight`, layout: 'torch' }, null);
    v = linear(c, h, `${a}v_proj`, W, W, { name: `${a}v_proj.weight`, layout: 'torch' }, { name: `${a}v_proj.bias` });
  } else {
    const weight: WeightRef = { name: `${a}qkv.weight`, layout: 'torch', scale, scaleUpTo: W };
    let qkv: string;
    if (s.qkv === 'fused') {
      const bias: BiasRef = { name: `${a}qkv.bias`, scale, scaleUpTo: W };
      qkv = linear(c, h, `${a}qkv`, W, 3 * W, weight, bias);
    } else {
      // q_bias | zeros (timm's k_bias buffer) | v_bias
      const bias = w.computed(g, `${a}qkv.bias`, [3 * W], c.cdt, async () => {
        const out = new Float32Array(3 * W);
        const qb = await w.f32(`${a}q_bias`);
        for (let i = 0; i < W; i++) out[i] = Math.fround((qb[i] as number) * scale);
        out.set(await w.f32(`${a}v_bias`), 2 * W);
        return out;
      });
      qkv = g.node('Add', [linear(c, h, `${a}qkv`, W, 3 * W, weight, null), bias]);
    }
    [q, k, v] = g.nodeN('Split', [qkv, i64(c, [W, W, W])], 3, { axis: -1 }) as [string, string, string];
  }
  if (rope) {
    q = applyRope(c, q, seq, W, rope);
    k = applyRope(c, k, seq, W, rope);
  }
  if (c.contrib) {
    // onnxruntime's fused MultiHeadAttention on [N, T, W]; the 1/√head_dim scale is already in q
    const seq3 = i64(c, [-1, seq, W]);
    const as3 = (t: string) => (rope && t !== v ? t : g.node('Reshape', [t, seq3]));
    const fused = g.node('MultiHeadAttention', [as3(q), as3(k), as3(v)], { num_heads: H, scale: { float: 1 } }, MS);
    return project(c, s, g.node('Reshape', [fused, i64(c, [-1, W])]), a);
  }
  const shape = i64(c, [-1, seq, H, hd]);
  const qh = g.node('Transpose', [g.node('Reshape', [q, shape])], { perm: [0, 2, 1, 3] });
  const kt = g.node('Transpose', [g.node('Reshape', [k, shape])], { perm: [0, 2, 3, 1] });
  const vh = g.node('Transpose', [g.node('Reshape', [v, shape])], { perm: [0, 2, 1, 3] });
  const ctx = g.node('MatMul', [softmax(c, g.node('MatMul', [qh, kt])), vh]); // [N, H, T, hd]
  return project(c, s, g.node('Reshape', [g.node('Transpose', [ctx], { perm: [0, 2, 1, 3] }), i64(c, [-1, W])]), a);
}

/** The attention output [N·T, W]: optional inner LayerNorm (scale_attn_inner), then proj. */
function project(c: BuildCtx, s: TimmEvaSpec, merged: string, a: string): string {
  const W = s.width;
  const y = s.attnNorm ? layerNorm(c, merged, `${a}norm`, s.eps) : merged;
  return linear(c, y, `${a}proj`, W, W, { name: `${a}proj.weight`, layout: 'torch' }, { name: `${a}proj.bias` });
}

/** GELU Mlp, or SwiGLU with its sub-LayerNorm: fc2(norm(silu(fc1_g(x)) · fc1_x(x))). */
function evaMlp(c: BuildCtx, s: TimmEvaSpec, x: string, b: string, act: Activation): string {
  const { g } = c;
  const m = `${b}mlp.`;
  if (!s.swiglu) return mlp(c, x, `${m}fc1`, `${m}fc2`, s.width, s.mlpWidth, act);
  const lin = (n: string, i: number, o: number, y: string) =>
    linear(c, y, `${m}${n}`, i, o, { name: `${m}${n}.weight`, layout: 'torch' }, { name: `${m}${n}.bias` });
  const gate = lin('fc1_g', s.width, s.mlpWidth, x);
  const silu = g.node('Mul', [gate, g.node('Sigmoid', [gate])]);
  const hidden = g.node('Mul', [silu, lin('fc1_x', s.width, s.mlpWidth, x)]);
  return lin('fc2', s.mlpWidth, s.width, layerNorm(c, hidden, `${m}norm`, s.eps));
}
