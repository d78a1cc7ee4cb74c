import { type BuildCtx, i64, layerNorm, linear, openClipBlock, transformer } from './blocks.js';
import { DataType } from './proto.js';
import type { TextSpec } from './resolve-config.js';
import type { Activation } from './types.js';

/** open_clip encode_text: ids [N, ctx] int64 -> pooled (@ text_projection) [N, D]. */
export function buildText(c: BuildCtx, s: TextSpec, ids: string, act: Activation): string {
  const { g, w } = c;
  const p = s.prefix;
  const L = s.context;
  const W = s.width;
  const idx = s.pool === 'argmax' || s.pool === 'eos' ? poolIndex(c, s, ids) : null;
  let tokens = ids;
  let pos = w.direct(g, `${p}positional_embedding`, c.cdt);
  let seq: string | undefined;
  if (s.causal && s.pool !== 'last') {
    // With a causal mask a token's output depends only on itself and earlier tokens, so the transformer
    // runs on the first max(pooled position) + 1 tokens of the batch: short prompts padded to the context
    // length cost what their length costs, with the same result.
    seq = idx
      ? g.node('Reshape', [g.node('Add', [g.node('ReduceMax', [idx], { keepdims: 0 }), i64(c, [1], [])]), i64(c, [1])])
      : i64(c, [1]);
    tokens = g.node('Slice', [ids, i64(c, [0]), seq, i64(c, [1])]);
    pos = g.node('Slice', [pos, i64(c, [0]), seq, i64(c, [0])]);
  }
  const tok = g.node('Gather', [w.direct(g, `${p}token_embedding.weight`, c.cdt), tokens], { axis: 0 });
  // The transformer runs on [N·L, W] rows so every linear layer is a single Gemm.
  const x = g.node('Reshape', [g.node('Add', [tok, pos]), i64(c, [-1, W])]);
  const blocks = Array.from({ length: s.layers }, (_, i) =>
    openClipBlock(`${p}transformer.resblocks.${i}.`, s.layerScale),
  );
  // Only the pooled token's output is used, so the last block computes attention and MLP for that row alone.
  const onlyRow = idx ?? (s.pool === 'last' ? L - 1 : 0);
  const stack = { width: W, heads: s.heads, mlp: s.mlpWidth, seq: L, eps: s.eps, act, causal: s.causal, onlyRow };
  // ln_final is per token: normalizing the pooled token alone gives the same vector
  const pooled = layerNorm(
    c,
    transformer(c, x, blocks, seq ? { ...stack, runtimeSeq: seq } : stack),
    `${p}ln_final`,
    s.eps,
  );
  return textProjection(c, s, pooled);
}

/** open_clip's text_projection of the pooled token: a [W, out] matrix, a biased nn.Linear, or none. */
export function textProjection(c: BuildCtx, s: TextSpec, pooled: string): string {
  const p = s.prefix;
  if (s.proj === 'matrix')
    return linear(
      c,
      pooled,
      `${p}text_projection`,
      s.width,
      s.outputDim,
      { name: `${p}text_projection`, layout: 'matrix' },
      null,
    );
  if (s.proj === 'linear') {
    return linear(
      c,
      pooled,
      `${p}text_projection`,
      s.width,
      s.outputDim,
      { name: `${p}text_projection.weight`, layout: 'torch' },
      { name: `${p}text_projection.bias` },
    );
  }
  return pooled;
}

/** Position of the pooled token per row, [N, 1] int64: the highest id ('argmax', EOT) or the first eos_id ('eos'). */
function poolIndex(c: BuildCtx, s: TextSpec, ids: string): string {
  const { g } = c;
  // onnxruntime's CPU ArgMax has no int64 kernel: take the argmax of int32 ids (token ids fit easily).
  // ArgMax returns the first maximal index, like torch.argmax (so a row without eos_id pools token 0).
  const key = s.pool === 'argmax' ? ids : g.node('Equal', [ids, i64(c, [s.eosId], [])]);
  return g.node('ArgMax', [g.node('Cast', [key], { to: DataType.INT32 })], { axis: -1, keepdims: 1 });
}
