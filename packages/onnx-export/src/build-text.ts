import { type BuildCtx, i64, layerNorm, linear, openClipBlock, residualBlock } from './blocks.js';
import { DataType } from './proto.js';
import type { TextSpec } from './resolve-config.js';
import type { Activation } from './types.js';

/** open_clip encode_text: ids [N, ctx] int64 -> pooled (@ text_projection) [N, D]. */
export function buildText(c: BuildCtx, s: TextSpec, ids: string, act: Activation): string {
  const { g, w } = c;
  const p = s.prefix;
  const L = s.context;
  const W = s.width;
  const tok = g.node('Gather', [w.direct(g, `${p}token_embedding.weight`, c.cdt), ids], { axis: 0 });
  const emb = g.node('Add', [tok, w.direct(g, `${p}positional_embedding`, c.cdt)]);
  // The transformer runs on [N·L, W] rows so every linear layer is a single Gemm.
  let x = g.node('Reshape', [emb, i64(c, [-1, W])]);
  const mask = s.causal
    ? w.computed(g, 'causal_mask', [L, L], c.cdt, async () => {
        const m = new Float32Array(L * L);
        for (let i = 0; i < L; i++) for (let j = i + 1; j < L; j++) m[i * L + j] = -Infinity;
        return m;
      })
    : null;
  for (let i = 0; i < s.layers; i++) {
    x = residualBlock(c, x, openClipBlock(`${p}transformer.resblocks.${i}.`, s.layerScale), {
      width: W,
      heads: s.heads,
      mlp: s.mlpWidth,
      seq: L,
      eps: s.eps,
      act,
      mask,
    });
  }
  // ln_final is per token, so pooling first gives the same vector and normalizes one token, not ctx
  const pooled = layerNorm(c, pool(c, s, g.node('Reshape', [x, i64(c, [-1, L, W])]), ids), `${p}ln_final`, s.eps);
  if (s.proj === 'matrix') return linear(c, pooled, `${p}text_projection`, W, s.outputDim, { name: `${p}text_projection`, layout: 'matrix' }, null);
  if (s.proj === 'linear') {
    return linear(c, pooled, `${p}text_projection`, W, s.outputDim, { name: `${p}text_projection.weight`, layout: 'torch' }, { name: `${p}text_projection.bias` });
  }
  return pooled;
}

/** open_clip text_global_pool on [N, L, W] -> [N, W]. */
function pool(c: BuildCtx, s: TextSpec, x: string, ids: string): string {
  const { g } = c;
  if (s.pool === 'first' || s.pool === 'last') {
    return g.node('Gather', [x, i64(c, [s.pool === 'first' ? 0 : s.context - 1], [])], { axis: 1 });
  }
  // onnxruntime's CPU ArgMax has no int64 kernel: take the argmax of int32 ids (token ids fit easily).
  // ArgMax returns the first maximal index, like torch.argmax.
  const key = s.pool === 'argmax' ? ids : g.node('Equal', [ids, i64(c, [s.eosId], [])]);
  const idx = g.node('ArgMax', [g.node('Cast', [key], { to: DataType.INT32 })], { axis: -1, keepdims: 1 });
  return g.node('GatherND', [x, idx], { batch_dims: 1 });
}
