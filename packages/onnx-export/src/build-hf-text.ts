import { type BuildCtx, activation, i64, layerNorm, linear, mlp, MS, reduce, softmax } from './blocks.js';
import { DataType } from './proto.js';
import type { HfTextSpec } from './resolve-hf-text.js';
import type { Activation } from './types.js';

/**
 * open_clip's HFTextEncoder.forward: ids [N, L] int64 -> projected [N, D]. The attention mask is
 * `ids != pad_token_id`, as open_clip builds it, and drives the key mask, the position ids (RoBERTa and
 * M2M100 number non-pad tokens from pad_token_id + 1; pads get pad_token_id) and the mean pooler.
 */
export function buildHfText(c: BuildCtx, s: HfTextSpec, ids: string, act: Activation): string {
  const { g } = c;
  const p = s.prefix;
  const W = s.width;
  const valid = g.node('Not', [g.node('Equal', [ids, i64(c, [s.padId], [])])]); // [N, L] bool
  const validI = g.node('Cast', [valid], { to: DataType.INT64 });
  const posIds = g.node('Add', [
    g.node('Mul', [g.node('CumSum', [validI, i64(c, [1], [])]), validI]),
    i64(c, [s.padId], []),
  ]);
  let x: string;
  if (s.arch === 'roberta') {
    const tok = g.node('Gather', [c.w.direct(g, `${p}embeddings.word_embeddings.weight`, c.cdt), ids], { axis: 0 });
    // token_type_ids default to zeros: every token gets row 0 of the token-type table
    const types = c.w.direct(g, `${p}embeddings.token_type_embeddings.weight`, c.cdt);
    const type0 = g.node('Gather', [types, i64(c, [0], [])], { axis: 0 });
    const pos = g.node('Gather', [c.w.direct(g, `${p}embeddings.position_embeddings.weight`, c.cdt), posIds], {
      axis: 0,
    });
    x = layerNorm(c, g.node('Add', [g.node('Add', [tok, type0]), pos]), `${p}embeddings.LayerNorm`, s.eps);
  } else if (s.arch === 't5') {
    x = g.node('Gather', [c.w.direct(g, `${p}embed_tokens.weight`, c.cdt), ids], { axis: 0 });
  } else {
    let tok = g.node('Gather', [c.w.direct(g, `${p}embed_tokens.weight`, c.cdt), ids], { axis: 0 });
    // Scaled after the lookup (not folded into the table): the table is the largest tensor and streams as stored.
    if (s.embedScale !== 1) tok = g.node('Mul', [tok, c.g.constant([s.embedScale], [], c.cdt)]);
    const rows = s.padId + s.context + 1;
    const table = c.w.computed(g, `${p}embed_positions.weights`, [rows, W], c.cdt, () =>
      Promise.resolve(sinusoidalPositions(rows, W, s.padId)),
    );
    x = g.node('Add', [tok, g.node('Gather', [table, posIds], { axis: 0 })]);
  }
  x = g.node('Reshape', [x, i64(c, [-1, W])]); // [N·L, W]: every linear layer is one Gemm
  const fused = c.contrib && s.arch !== 't5'; // T5's unscaled attention with a position bias stays plain
  let mask = fused
    ? g.node('Cast', [valid], { to: DataType.INT32 }) // Attention's raw [N, L] key mask
    : g.node('Unsqueeze', [
        g.node('Where', [valid, c.g.constant([0], [], c.cdt), c.g.constant([lowest(c)], [], c.cdt)]),
        i64(c, [1, 2]),
      ]); // additive [N, 1, 1, L]
  // T5: block 0's relative position bias [1, H, L, L] serves every block; the key mask joins it once.
  if (s.t5) mask = g.node('Add', [t5PositionBias(c, s), mask]);
  for (let i = 0; i < s.layers; i++) {
    if (s.t5) {
      const b = `${p}block.${i}.layer.`;
      const a = selfAttention(c, s, rmsNorm(c, x, `${b}0.layer_norm.weight`, s.eps), mask, {
        q: `${b}0.SelfAttention.q`,
        k: `${b}0.SelfAttention.k`,
        v: `${b}0.SelfAttention.v`,
        o: `${b}0.SelfAttention.o`,
      });
      x = g.node('Add', [x, a]);
      x = g.node('Add', [
        x,
        t5FeedForward(c, s, rmsNorm(c, x, `${b}1.layer_norm.weight`, s.eps), `${b}1.DenseReluDense.`, act),
      ]);
    } else if (s.arch === 'roberta') {
      const b = `${p}encoder.layer.${i}.`;
      const a = selfAttention(c, s, x, mask, {
        q: `${b}attention.self.query`,
        k: `${b}attention.self.key`,
        v: `${b}attention.self.value`,
        o: `${b}attention.output.dense`,
      });
      x = layerNorm(c, g.node('Add', [a, x]), `${b}attention.output.LayerNorm`, s.eps);
      const m = mlp(c, x, `${b}intermediate.dense`, `${b}output.dense`, W, s.ffn, act);
      x = layerNorm(c, g.node('Add', [m, x]), `${b}output.LayerNorm`, s.eps);
    } else {
      const b = `${p}layers.${i}.`;
      const h = layerNorm(c, x, `${b}self_attn_layer_norm`, s.eps);
      const a = selfAttention(c, s, h, mask, {
        q: `${b}self_attn.q_proj`,
        k: `${b}self_attn.k_proj`,
        v: `${b}self_attn.v_proj`,
        o: `${b}self_attn.out_proj`,
      });
      x = g.node('Add', [x, a]);
      x = g.node('Add', [
        x,
        mlp(c, layerNorm(c, x, `${b}final_layer_norm`, s.eps), `${b}fc1`, `${b}fc2`, W, s.ffn, act),
      ]);
    }
  }
  if (s.arch === 'm2m100') x = layerNorm(c, x, `${p}layer_norm`, s.eps);
  if (s.arch === 't5') x = rmsNorm(c, x, `${p}final_layer_norm.weight`, s.eps);
  const x3 = g.node('Reshape', [x, i64(c, [-1, s.context, W])]);
  let pooled: string;
  if (s.pooler === 'mean') {
    const weights = g.node('Unsqueeze', [g.node('Cast', [valid], { to: c.cdt }), i64(c, [2])]); // [N, L, 1]
    const sum = g.node('ReduceSum', [g.node('Mul', [x3, weights]), i64(c, [1])], { keepdims: 0 });
    pooled = g.node('Div', [sum, g.node('ReduceSum', [weights, i64(c, [1])], { keepdims: 0 })]);
  } else {
    pooled = g.node('Gather', [x3, i64(c, [0], [])], { axis: 1 });
    if (s.pooler === 'pooler') {
      const d = `${p}pooler.dense`;
      pooled = g.node('Tanh', [
        linear(c, pooled, d, W, W, { name: `${d}.weight`, layout: 'torch' }, { name: `${d}.bias` }),
      ]);
    }
  }
  if (s.proj === 'linear')
    return linear(c, pooled, 'text.proj', W, s.outputDim, { name: 'text.proj.weight', layout: 'torch' }, null);
  if (s.proj === 'mlp') {
    const hidden = linear(
      c,
      pooled,
      'text.proj.0',
      W,
      s.projHidden,
      { name: 'text.proj.0.weight', layout: 'torch' },
      null,
    );
    const h = activation(c, hidden, 'gelu'); // nn.GELU(): the erf form
    return linear(
      c,
      h,
      'text.proj.2',
      s.projHidden,
      s.outputDim,
      { name: 'text.proj.2.weight', layout: 'torch' },
      null,
    );
  }
  return pooled;
}

/** The most negative finite value of the compute dtype: what HF adds for masked keys (finfo.min). */
function lowest(c: BuildCtx): number {
  return c.cdt === DataType.FLOAT16 ? -65504 : -3.4028234663852886e38;
}

/**
 * Multi-head self-attention with separate q/k/v/out nn.Linear layers (`<name>.weight`, `<name>.bias`) on
 * [N·L, W] rows, with a key mask; returns the output projection, [N·L, W].
 */
function selfAttention(
  c: BuildCtx,
  s: HfTextSpec,
  h: string,
  mask: string,
  n: { q: string; k: string; v: string; o: string },
): string {
  const { g } = c;
  const W = s.width;
  // T5 projects to heads·d_kv (not necessarily the width), has no biases and does not scale q·k
  const hd = s.t5 ? s.t5.dKv : W / s.heads;
  const inner = hd * s.heads;
  const L = s.context;
  let ctx: string;
  if (c.contrib && !s.t5) {
    // com.microsoft Attention: q|k|v projection, 1/√head_dim, key mask, softmax and P·V in one kernel. Its
    // weight is [W, 3W] (the q, k, v torch weights transposed side by side) and its mask [N, L] of 1/0.
    const weight = c.w.computed(g, `${n.q}.qkv.weight`, [W, 3 * W], DataType.FLOAT, async () => {
      const out = new Float32Array(W * 3 * W);
      for (const [j, name] of [n.q, n.k, n.v].entries()) {
        const m = await c.w.f32(`${name}.weight`); // [out, in]
        for (let o = 0; o < W; o++) for (let i = 0; i < W; i++) out[i * 3 * W + j * W + o] = m[o * W + i] as number;
      }
      return out;
    });
    const bias = c.w.computed(g, `${n.q}.qkv.bias`, [3 * W], DataType.FLOAT, async () => {
      const out = new Float32Array(3 * W);
      for (const [j, name] of [n.q, n.k, n.v].entries()) out.set(await c.w.f32(`${name}.bias`), j * W);
      return out;
    });
    const x3 = g.node('Reshape', [h, i64(c, [-1, L, W])]);
    ctx = g.node('Reshape', [
      g.node('Attention', [x3, weight, bias, mask], { num_heads: s.heads }, MS),
      i64(c, [-1, W]),
    ]);
  } else {
    const scale = s.t5 ? undefined : 1 / Math.sqrt(hd);
    // int8: T5 does not scale q·k, so its logits are large and int8 error in q or k moves the softmax;
    // those two projections keep float32 weights (v, o and the feed-forward are quantized).
    const exact = { ...c, mode: 'fp32' as const };
    const proj = (name: string, sc?: number) =>
      linear(
        s.t5 && name !== n.v ? exact : c,
        h,
        name,
        W,
        inner,
        { name: `${name}.weight`, layout: 'torch', ...(sc ? { scale: sc } : {}) },
        s.t5 ? null : { name: `${name}.bias`, ...(sc ? { scale: sc } : {}) },
      );
    const shape = i64(c, [-1, L, s.heads, hd]);
    const qh = g.node('Transpose', [g.node('Reshape', [proj(n.q, scale), shape])], { perm: [0, 2, 1, 3] });
    const kt = g.node('Transpose', [g.node('Reshape', [proj(n.k), shape])], { perm: [0, 2, 3, 1] });
    const vh = g.node('Transpose', [g.node('Reshape', [proj(n.v), shape])], { perm: [0, 2, 1, 3] });
    const scores = g.node('Add', [g.node('MatMul', [qh, kt]), mask]);
    const heads = g.node('MatMul', [softmax(c, scores), vh]); // [N, H, L, hd]
    ctx = g.node('Reshape', [g.node('Transpose', [heads], { perm: [0, 2, 1, 3] }), i64(c, [-1, inner])]);
  }
  return linear(
    c,
    ctx,
    n.o,
    inner,
    W,
    { name: `${n.o}.weight`, layout: 'torch' },
    s.t5 ? null : { name: `${n.o}.bias` },
  );
}

/**
 * M2M100's sinusoidal table (tensor2tensor layout: sin of every frequency, then cos), row `padId` zero,
 * computed in float32 steps as transformers does so the values match its buffer.
 */
export function sinusoidalPositions(rows: number, dim: number, padId: number): Float32Array {
  const half = Math.floor(dim / 2);
  const step = Math.fround(-Math.log(10000) / (half - 1));
  const freqs = Float32Array.from({ length: half }, (_, i) => Math.fround(Math.exp(Math.fround(i * step))));
  const out = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    if (r === padId) continue;
    for (let i = 0; i < half; i++) {
      const a = Math.fround(r * (freqs[i] as number));
      out[r * dim + i] = Math.sin(a);
      out[r * dim + half + i] = Math.cos(a);
    }
  }
  return out;
}

/** T5LayerNorm (RMSNorm, no bias): w · x / √(mean(x²) + eps), computed in float32 as transformers does. */
function rmsNorm(c: BuildCtx, x: string, weight: string, eps: number): string {
  const { g } = c;
  const fp16 = c.cdt === DataType.FLOAT16;
  const x32 = fp16 ? g.node('Cast', [x], { to: DataType.FLOAT }) : x;
  const ms = reduce(c, 'ReduceMean', g.node('Mul', [x32, x32]), [-1], true);
  let y = g.node('Div', [x32, g.node('Sqrt', [g.node('Add', [ms, g.constant([eps], [], DataType.FLOAT)])])]);
  if (fp16) y = g.node('Cast', [y], { to: DataType.FLOAT16 });
  return g.node('Mul', [c.w.direct(g, weight, c.cdt), y]);
}

/** T5 DenseReluDense / DenseGatedActDense (no biases): wo(act(wi_0 x) · wi_1 x), or wo(act(wi x)). */
function t5FeedForward(c: BuildCtx, s: HfTextSpec, x: string, p: string, act: Activation): string {
  const { g } = c;
  const W = s.width;
  const lin = (name: string, i: number, o: number, input: string) =>
    linear(c, input, `${p}${name}`, i, o, { name: `${p}${name}.weight`, layout: 'torch' }, null);
  const h = s.t5?.gated
    ? g.node('Mul', [activation(c, lin('wi_0', W, s.ffn, x), act), lin('wi_1', W, s.ffn, x)])
    : activation(c, lin('wi', W, s.ffn, x), act);
  return lin('wo', s.ffn, W, h);
}

/** T5's bidirectional relative position bucket of key − query distance `rel`, in float32 steps as transformers computes it. */
export function t5Bucket(rel: number, numBuckets: number, maxDistance: number): number {
  const half = Math.floor(numBuckets / 2);
  const base = rel > 0 ? half : 0;
  const n = Math.abs(rel);
  const maxExact = Math.floor(half / 2);
  if (n < maxExact) return base + n;
  const f = Math.fround;
  const scaled = f(f(f(Math.log(f(n / maxExact))) / f(Math.log(maxDistance / maxExact))) * (half - maxExact));
  return base + Math.min(maxExact + Math.trunc(scaled), half - 1);
}

/** Block 0's relative_attention_bias looked up for every (query, key) pair: [1, H, L, L]. */
function t5PositionBias(c: BuildCtx, s: HfTextSpec): string {
  const t5 = s.t5 as NonNullable<HfTextSpec['t5']>;
  const L = s.context;
  const H = s.heads;
  const name = `${s.prefix}block.0.layer.0.SelfAttention.relative_attention_bias.weight`; // [buckets, H]
  return c.w.computed(c.g, `${s.prefix}position_bias`, [1, H, L, L], c.cdt, async () => {
    const table = await c.w.f32(name);
    const out = new Float32Array(H * L * L);
    for (let q = 0; q < L; q++)
      for (let k = 0; k < L; k++) {
        const bucket = t5Bucket(k - q, t5.buckets, t5.maxDistance);
        for (let h = 0; h < H; h++) out[(h * L + q) * L + k] = table[bucket * H + h] as number;
      }
    return out;
  });
}
