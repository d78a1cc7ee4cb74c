import { type BuildCtx, activation, i64, layerNorm, linear, mlp, MS, reduce, softmax } from './blocks.js';
import { DataType } from './proto.js';
import type { HfTextSpec } from './resolve-hf-text.js';
import type { Activation } from './types.js';

/**
 * open_clip's HFTextEncoder.forward: ids [N, L] int64 -> projected [N, D]. The attention mask is
 * `ids != pad_token_id`, as open_clip builds it, and drives the key mask, the position ids (RoBERTa and
 * M2M100 number non-pad tokens from pad_token_id + 1; pads get pad_token_id) and the mean pooler.
 */
export function buildHfText(ctx: BuildCtx, spec: HfTextSpec, ids: string, act: Activation): string {
  const { graph } = ctx;
  const p = spec.prefix;
  const W = spec.width;
  const valid = graph.node('Not', [graph.node('Equal', [ids, i64(ctx, [spec.padId], [])])]); // [N, L] bool
  const validI = graph.node('Cast', [valid], { to: DataType.INT64 });
  const posIds = graph.node('Add', [
    graph.node('Mul', [graph.node('CumSum', [validI, i64(ctx, [1], [])]), validI]),
    i64(ctx, [spec.padId], []),
  ]);
  let x: string;
  if (spec.arch === 'roberta') {
    const tok = graph.node(
      'Gather',
      [ctx.weights.direct(graph, `${p}embeddings.word_embeddings.weight`, ctx.computeType), ids],
      { axis: 0 },
    );
    // token_type_ids default to zeros: every token gets row 0 of the token-type table
    const types = ctx.weights.direct(graph, `${p}embeddings.token_type_embeddings.weight`, ctx.computeType);
    const type0 = graph.node('Gather', [types, i64(ctx, [0], [])], { axis: 0 });
    const pos = graph.node(
      'Gather',
      [ctx.weights.direct(graph, `${p}embeddings.position_embeddings.weight`, ctx.computeType), posIds],
      {
        axis: 0,
      },
    );
    x = layerNorm(ctx, graph.node('Add', [graph.node('Add', [tok, type0]), pos]), `${p}embeddings.LayerNorm`, spec.eps);
  } else if (spec.arch === 't5') {
    x = graph.node('Gather', [ctx.weights.direct(graph, `${p}embed_tokens.weight`, ctx.computeType), ids], { axis: 0 });
  } else {
    let tok = graph.node('Gather', [ctx.weights.direct(graph, `${p}embed_tokens.weight`, ctx.computeType), ids], {
      axis: 0,
    });
    // Scaled after the lookup (not folded into the table): the table is the largest tensor and streams as stored.
    if (spec.embedScale !== 1)
      tok = graph.node('Mul', [tok, ctx.graph.constant([spec.embedScale], [], ctx.computeType)]);
    const rows = spec.padId + spec.context + 1;
    const table = ctx.weights.computed(graph, `${p}embed_positions.weights`, [rows, W], ctx.computeType, () =>
      Promise.resolve(sinusoidalPositions(rows, W, spec.padId)),
    );
    x = graph.node('Add', [tok, graph.node('Gather', [table, posIds], { axis: 0 })]);
  }
  x = graph.node('Reshape', [x, i64(ctx, [-1, W])]); // [N·L, W]: every linear layer is one Gemm
  const fused = ctx.contrib && spec.arch !== 't5'; // T5's unscaled attention with a position bias stays plain
  let mask = fused
    ? graph.node('Cast', [valid], { to: DataType.INT32 }) // Attention's raw [N, L] key mask
    : graph.node('Unsqueeze', [
        graph.node('Where', [
          valid,
          ctx.graph.constant([0], [], ctx.computeType),
          ctx.graph.constant([lowest(ctx)], [], ctx.computeType),
        ]),
        i64(ctx, [1, 2]),
      ]); // additive [N, 1, 1, L]
  // T5: block 0's relative position bias [1, H, L, L] serves every block; the key mask joins it once.
  if (spec.t5) mask = graph.node('Add', [t5PositionBias(ctx, spec), mask]);
  for (let i = 0; i < spec.layers; i++) {
    if (spec.t5) {
      const b = `${p}block.${i}.layer.`;
      const a = selfAttention(ctx, spec, rmsNorm(ctx, x, `${b}0.layer_norm.weight`, spec.eps), mask, {
        q: `${b}0.SelfAttention.q`,
        k: `${b}0.SelfAttention.k`,
        v: `${b}0.SelfAttention.v`,
        o: `${b}0.SelfAttention.o`,
      });
      x = graph.node('Add', [x, a]);
      x = graph.node('Add', [
        x,
        t5FeedForward(ctx, spec, rmsNorm(ctx, x, `${b}1.layer_norm.weight`, spec.eps), `${b}1.DenseReluDense.`, act),
      ]);
    } else if (spec.arch === 'roberta') {
      const b = `${p}encoder.layer.${i}.`;
      const a = selfAttention(ctx, spec, x, mask, {
        q: `${b}attention.self.query`,
        k: `${b}attention.self.key`,
        v: `${b}attention.self.value`,
        o: `${b}attention.output.dense`,
      });
      x = layerNorm(ctx, graph.node('Add', [a, x]), `${b}attention.output.LayerNorm`, spec.eps);
      const m = mlp(ctx, x, `${b}intermediate.dense`, `${b}output.dense`, W, spec.ffn, act);
      x = layerNorm(ctx, graph.node('Add', [m, x]), `${b}output.LayerNorm`, spec.eps);
    } else {
      const b = `${p}layers.${i}.`;
      const h = layerNorm(ctx, x, `${b}self_attn_layer_norm`, spec.eps);
      const a = selfAttention(ctx, spec, h, mask, {
        q: `${b}self_attn.q_proj`,
        k: `${b}self_attn.k_proj`,
        v: `${b}self_attn.v_proj`,
        o: `${b}self_attn.out_proj`,
      });
      x = graph.node('Add', [x, a]);
      x = graph.node('Add', [
        x,
        mlp(ctx, layerNorm(ctx, x, `${b}final_layer_norm`, spec.eps), `${b}fc1`, `${b}fc2`, W, spec.ffn, act),
      ]);
    }
  }
  if (spec.arch === 'm2m100') x = layerNorm(ctx, x, `${p}layer_norm`, spec.eps);
  if (spec.arch === 't5') x = rmsNorm(ctx, x, `${p}final_layer_norm.weight`, spec.eps);
  const x3 = graph.node('Reshape', [x, i64(ctx, [-1, spec.context, W])]);
  let pooled: string;
  if (spec.pooler === 'mean') {
    const weights = graph.node('Unsqueeze', [graph.node('Cast', [valid], { to: ctx.computeType }), i64(ctx, [2])]); // [N, L, 1]
    const sum = graph.node('ReduceSum', [graph.node('Mul', [x3, weights]), i64(ctx, [1])], { keepdims: 0 });
    pooled = graph.node('Div', [sum, graph.node('ReduceSum', [weights, i64(ctx, [1])], { keepdims: 0 })]);
  } else {
    pooled = graph.node('Gather', [x3, i64(ctx, [0], [])], { axis: 1 });
    if (spec.pooler === 'pooler') {
      const d = `${p}pooler.dense`;
      pooled = graph.node('Tanh', [
        linear(ctx, pooled, d, W, W, { name: `${d}.weight`, layout: 'torch' }, { name: `${d}.bias` }),
      ]);
    }
  }
  if (spec.proj === 'linear')
    return linear(ctx, pooled, 'text.proj', W, spec.outputDim, { name: 'text.proj.weight', layout: 'torch' }, null);
  if (spec.proj === 'mlp') {
    const hidden = linear(
      ctx,
      pooled,
      'text.proj.0',
      W,
      spec.projHidden,
      { name: 'text.proj.0.weight', layout: 'torch' },
      null,
    );
    const h = activation(ctx, hidden, 'gelu'); // nn.GELU(): the erf form
    return linear(
      ctx,
      h,
      'text.proj.2',
      spec.projHidden,
      spec.outputDim,
      { name: 'text.proj.2.weight', layout: 'torch' },
      null,
    );
  }
  return pooled;
}

/** The most negative finite value of the compute dtype: what HF adds for masked keys (finfo.min). */
function lowest(ctx: BuildCtx): number {
  return ctx.computeType === DataType.FLOAT16 ? -65504 : -3.4028234663852886e38;
}

/**
 * Multi-head self-attention with separate q/k/v/out nn.Linear layers (`<name>.weight`, `<name>.bias`) on
 * [N·L, W] rows, with a key mask; returns the output projection, [N·L, W].
 */
function selfAttention(
  ctx: BuildCtx,
  spec: HfTextSpec,
  h: string,
  mask: string,
  n: { q: string; k: string; v: string; o: string },
): string {
  const { graph } = ctx;
  const W = spec.width;
  // T5 projects to heads·d_kv (not necessarily the width), has no biases and does not scale q·k
  const hd = spec.t5 ? spec.t5.dKv : W / spec.heads;
  const inner = hd * spec.heads;
  const L = spec.context;
  let attended: string;
  if (ctx.contrib && !spec.t5) {
    // com.microsoft Attention: q|k|v projection, 1/√head_dim, key mask, softmax and P·V in one kernel. Its
    // weight is [W, 3W] (the q, k, v torch weights transposed side by side) and its mask [N, L] of 1/0.
    const weight = ctx.weights.computed(graph, `${n.q}.qkv.weight`, [W, 3 * W], DataType.FLOAT, async () => {
      const out = new Float32Array(W * 3 * W);
      for (const [j, name] of [n.q, n.k, n.v].entries()) {
        const m = await ctx.weights.f32(`${name}.weight`); // [out, in]
        for (let o = 0; o < W; o++) for (let i = 0; i < W; i++) out[i * 3 * W + j * W + o] = m[o * W + i] as number;
      }
      return out;
    });
    const bias = ctx.weights.computed(graph, `${n.q}.qkv.bias`, [3 * W], DataType.FLOAT, async () => {
      const out = new Float32Array(3 * W);
      for (const [j, name] of [n.q, n.k, n.v].entries()) out.set(await ctx.weights.f32(`${name}.bias`), j * W);
      return out;
    });
    const x3 = graph.node('Reshape', [h, i64(ctx, [-1, L, W])]);
    attended = graph.node('Reshape', [
      graph.node('Attention', [x3, weight, bias, mask], { num_heads: spec.heads }, MS),
      i64(ctx, [-1, W]),
    ]);
  } else {
    const scale = spec.t5 ? undefined : 1 / Math.sqrt(hd);
    // int8: T5 does not scale q·k, so its logits are large and int8 error in q or k moves the softmax;
    // those two projections keep float32 weights (v, o and the feed-forward are quantized).
    const exact = { ...ctx, mode: 'fp32' as const };
    const proj = (name: string, sc?: number) =>
      linear(
        spec.t5 && name !== n.v ? exact : ctx,
        h,
        name,
        W,
        inner,
        { name: `${name}.weight`, layout: 'torch', ...(sc ? { scale: sc } : {}) },
        spec.t5 ? null : { name: `${name}.bias`, ...(sc ? { scale: sc } : {}) },
      );
    const shape = i64(ctx, [-1, L, spec.heads, hd]);
    const qh = graph.node('Transpose', [graph.node('Reshape', [proj(n.q, scale), shape])], { perm: [0, 2, 1, 3] });
    const kt = graph.node('Transpose', [graph.node('Reshape', [proj(n.k), shape])], { perm: [0, 2, 3, 1] });
    const vh = graph.node('Transpose', [graph.node('Reshape', [proj(n.v), shape])], { perm: [0, 2, 1, 3] });
    const scores = graph.node('Add', [graph.node('MatMul', [qh, kt]), mask]);
    const heads = graph.node('MatMul', [softmax(ctx, scores), vh]); // [N, H, L, hd]
    attended = graph.node('Reshape', [graph.node('Transpose', [heads], { perm: [0, 2, 1, 3] }), i64(ctx, [-1, inner])]);
  }
  return linear(
    ctx,
    attended,
    n.o,
    inner,
    W,
    { name: `${n.o}.weight`, layout: 'torch' },
    spec.t5 ? null : { name: `${n.o}.bias` },
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
function rmsNorm(ctx: BuildCtx, x: string, weight: string, eps: number): string {
  const { graph } = ctx;
  const fp16 = ctx.computeType === DataType.FLOAT16;
  const x32 = fp16 ? graph.node('Cast', [x], { to: DataType.FLOAT }) : x;
  const ms = reduce(ctx, 'ReduceMean', graph.node('Mul', [x32, x32]), [-1], true);
  let y = graph.node('Div', [
    x32,
    graph.node('Sqrt', [graph.node('Add', [ms, graph.constant([eps], [], DataType.FLOAT)])]),
  ]);
  if (fp16) y = graph.node('Cast', [y], { to: DataType.FLOAT16 });
  return graph.node('Mul', [ctx.weights.direct(graph, weight, ctx.computeType), y]);
}

/** T5 DenseReluDense / DenseGatedActDense (no biases): wo(act(wi_0 x) · wi_1 x), or wo(act(wi x)). */
function t5FeedForward(ctx: BuildCtx, spec: HfTextSpec, x: string, p: string, act: Activation): string {
  const { graph } = ctx;
  const W = spec.width;
  const lin = (name: string, i: number, o: number, input: string) =>
    linear(ctx, input, `${p}${name}`, i, o, { name: `${p}${name}.weight`, layout: 'torch' }, null);
  const h = spec.t5?.gated
    ? graph.node('Mul', [activation(ctx, lin('wi_0', W, spec.ffn, x), act), lin('wi_1', W, spec.ffn, x)])
    : activation(ctx, lin('wi', W, spec.ffn, x), act);
  return lin('wo', spec.ffn, W, h);
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
function t5PositionBias(ctx: BuildCtx, spec: HfTextSpec): string {
  const t5 = spec.t5 as NonNullable<HfTextSpec['t5']>;
  const L = spec.context;
  const H = spec.heads;
  const name = `${spec.prefix}block.0.layer.0.SelfAttention.relative_attention_bias.weight`; // [buckets, H]
  return ctx.weights.computed(ctx.graph, `${spec.prefix}position_bias`, [1, H, L, L], ctx.computeType, async () => {
    const table = await ctx.weights.f32(name);
    const out = new Float32Array(H * L * L);
    for (let q = 0; q < L; q++)
      for (let k = 0; k < L; k++) {
        const bucket = t5Bucket(k - q, t5.buckets, t5.maxDistance);
        for (let h = 0; h < H; h++) out[(h * L + q) * L + k] = table[bucket * H + h] as number;
      }
    return out;
  });
}
