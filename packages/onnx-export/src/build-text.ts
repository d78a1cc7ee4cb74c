import { type BuildCtx, i64, layerNorm, linear, openClipBlock, torchLinear, transformer } from './blocks.js';
import { DataType } from './proto.js';
import type { TextSpec } from './resolve-config.js';
import type { Activation } from './types.js';

/** open_clip encode_text: ids [N, ctx] int64 -> pooled (@ text_projection) [N, D]. */
export function buildText(ctx: BuildCtx, spec: TextSpec, ids: string, act: Activation): string {
  const { graph, weights } = ctx;
  const p = spec.prefix;
  const L = spec.context;
  const W = spec.width;
  const idx = spec.pool === 'argmax' || spec.pool === 'eos' ? poolIndex(ctx, spec, ids) : null;
  let tokens = ids;
  let pos = weights.direct(graph, `${p}positional_embedding`, ctx.computeType);
  let seq: string | undefined;
  if (spec.causal && spec.pool !== 'last') {
    // With a causal mask a token's output depends only on itself and earlier tokens, so the transformer
    // runs on the first max(pooled position) + 1 tokens of the batch: short prompts padded to the context
    // length cost what their length costs, with the same result.
    seq = idx
      ? graph.node('Reshape', [
          graph.node('Add', [graph.node('ReduceMax', [idx], { keepdims: 0 }), i64(ctx, [1], [])]),
          i64(ctx, [1]),
        ])
      : i64(ctx, [1]);
    tokens = graph.node('Slice', [ids, i64(ctx, [0]), seq, i64(ctx, [1])]);
    pos = graph.node('Slice', [pos, i64(ctx, [0]), seq, i64(ctx, [0])]);
  }
  const tok = graph.node('Gather', [weights.direct(graph, `${p}token_embedding.weight`, ctx.computeType), tokens], {
    axis: 0,
  });
  // The transformer runs on [N·L, W] rows so every linear layer is a single Gemm.
  const x = graph.node('Reshape', [graph.node('Add', [tok, pos]), i64(ctx, [-1, W])]);
  const blocks = Array.from({ length: spec.layers }, (_, i) =>
    openClipBlock(`${p}transformer.resblocks.${i}.`, spec.layerScale),
  );
  // Only the pooled token's output is used, so the last block computes attention and MLP for that row alone.
  const onlyRow = idx ?? (spec.pool === 'last' ? L - 1 : 0);
  const stack = {
    width: W,
    heads: spec.heads,
    mlp: spec.mlpWidth,
    seq: L,
    eps: spec.eps,
    act,
    causal: spec.causal,
    onlyRow,
  };
  // ln_final is per token: normalizing the pooled token alone gives the same vector
  const pooled = layerNorm(
    ctx,
    transformer(ctx, x, blocks, seq ? { ...stack, runtimeSeq: seq } : stack),
    `${p}ln_final`,
    spec.eps,
  );
  return textProjection(ctx, spec, pooled);
}

/** open_clip's text_projection of the pooled token: a [W, out] matrix, a biased nn.Linear, or none. */
export function textProjection(ctx: BuildCtx, spec: TextSpec, pooled: string): string {
  const p = spec.prefix;
  if (spec.proj === 'matrix')
    return linear(
      ctx,
      pooled,
      `${p}text_projection`,
      spec.width,
      spec.outputDim,
      { name: `${p}text_projection`, layout: 'matrix' },
      null,
    );
  if (spec.proj === 'linear') return torchLinear(ctx, pooled, `${p}text_projection`, spec.width, spec.outputDim);
  return pooled;
}

/** Position of the pooled token per row, [N, 1] int64: the highest id ('argmax', EOT) or the first eos_id ('eos'). */
function poolIndex(ctx: BuildCtx, spec: TextSpec, ids: string): string {
  const { graph } = ctx;
  // onnxruntime's CPU ArgMax has no int64 kernel: take the argmax of int32 ids (token ids fit easily).
  // ArgMax returns the first maximal index, like torch.argmax (so a row without eos_id pools token 0).
  const key = spec.pool === 'argmax' ? ids : graph.node('Equal', [ids, i64(ctx, [spec.eosId], [])]);
  return graph.node('ArgMax', [graph.node('Cast', [key], { to: DataType.INT32 })], { axis: -1, keepdims: 1 });
}
