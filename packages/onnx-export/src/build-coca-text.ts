import { type BuildCtx, i64, layerNorm, linear, mlp, packedQkv, softmax } from './blocks.js';
import { textProjection } from './build-text.js';
import type { TextSpec } from './resolve-config.js';
import type { Activation } from './types.js';

/**
 * CoCa's contrastive text tower (open_clip TextTransformer with embed_cls): ids [N, L] -> [N, D]. A learned
 * class token is appended after the ids; every block masks keys whose id is pad_id (shifted by one in
 * open_clip's legacy CoCa mask) on top of the causal mask; the class token's output, ln_final and the
 * text projection give the embedding. The generative decoder (text_decoder) is not part of this graph.
 */
export function buildCocaText(ctx: BuildCtx, spec: TextSpec, ids: string, act: Activation): string {
  const { graph } = ctx;
  const p = spec.prefix;
  const W = spec.width;
  const L = spec.context + 1;
  const cls = spec.cls ?? { padId: 0, correctClsMask: false };
  const tok = graph.node('Gather', [ctx.weights.direct(graph, `${p}token_embedding.weight`, ctx.computeType), ids], {
    axis: 0,
  }); // [N, L-1, W]
  const first = graph.node('Slice', [ids, i64(ctx, [0]), i64(ctx, [1]), i64(ctx, [1])]); // [N, 1]
  const batch = graph.node('Shape', [first]); // [N, 1]
  const clsTok = graph.node('Expand', [
    graph.node('Reshape', [ctx.weights.direct(graph, `${p}cls_emb`, ctx.computeType), i64(ctx, [1, 1, W])]),
    graph.node('Concat', [batch, i64(ctx, [W])], { axis: 0 }),
  ]);
  const pos = ctx.weights.direct(graph, `${p}positional_embedding`, ctx.computeType);
  let x = graph.node('Add', [graph.node('Concat', [tok, clsTok], { axis: 1 }), pos]);
  x = graph.node('Reshape', [x, i64(ctx, [-1, W])]); // [N·L, W]

  // Key validity [N, L]: ids != pad_id, and the class position always valid. open_clip's legacy CoCa mask
  // puts the always-valid entry first (keys shifted by one); correct_cls_mask puts it last.
  const valid = graph.node('Not', [graph.node('Equal', [ids, i64(ctx, [cls.padId], [])])]);
  const always = graph.node('Equal', [first, first]);
  const keys = graph.node('Concat', cls.correctClsMask ? [valid, always] : [always, valid], { axis: 1 });
  const inf = ctx.graph.constant([-Infinity], [], ctx.computeType);
  let mask = graph.node('Unsqueeze', [
    graph.node('Where', [keys, ctx.graph.constant([0], [], ctx.computeType), inf]),
    i64(ctx, [1, 2]),
  ]);
  if (spec.causal) {
    const causal = ctx.weights.computed(graph, `${p}causal_mask`, [L, L], ctx.computeType, () => {
      const m = new Float32Array(L * L);
      for (let i = 0; i < L; i++) for (let j = i + 1; j < L; j++) m[i * L + j] = -Infinity;
      return Promise.resolve(m);
    });
    mask = graph.node('Add', [mask, causal]); // [N, 1, L, L]
  }
  const hd = W / spec.heads;
  const shape = i64(ctx, [-1, L, spec.heads, hd]);
  for (let i = 0; i < spec.layers; i++) {
    const b = `${p}transformer.resblocks.${i}.`;
    const ls1 = spec.layerScale ? { gamma: `${b}ls_1.gamma` } : {};
    const ls2 = spec.layerScale ? { gamma: `${b}ls_2.gamma` } : {};
    const h = layerNorm(ctx, x, `${b}ln_1`, spec.eps);
    const qkv = packedQkv(`${b}attn.`, W, spec.heads);
    const heads = (part: 'q' | 'k' | 'v', perm: number[]) =>
      graph.node(
        'Transpose',
        [graph.node('Reshape', [linear(ctx, h, `${b}attn.${part}`, W, W, ...qkv[part]), shape])],
        {
          perm,
        },
      );
    const scores = graph.node('Add', [
      graph.node('MatMul', [heads('q', [0, 2, 1, 3]), heads('k', [0, 2, 3, 1])]),
      mask,
    ]);
    const attended = graph.node('MatMul', [softmax(ctx, scores), heads('v', [0, 2, 1, 3])]);
    const merged = graph.node('Reshape', [
      graph.node('Transpose', [attended], { perm: [0, 2, 1, 3] }),
      i64(ctx, [-1, W]),
    ]);
    const out = linear(
      ctx,
      merged,
      `${b}attn.out`,
      W,
      W,
      { name: `${b}attn.out_proj.weight`, layout: 'torch', ...ls1 },
      { name: `${b}attn.out_proj.bias`, ...ls1 },
    );
    x = graph.node('Add', [x, out]);
    x = graph.node('Add', [
      x,
      mlp(ctx, layerNorm(ctx, x, `${b}ln_2`, spec.eps), `${b}mlp.c_fc`, `${b}mlp.c_proj`, W, spec.mlpWidth, act, ls2),
    ]);
  }
  // The class token is the last row; ln_final is applied after pooling, as open_clip does for embed_cls.
  const last = graph.node('Gather', [graph.node('Reshape', [x, i64(ctx, [-1, L, W])]), i64(ctx, [L - 1], [])], {
    axis: 1,
  });
  const pooled = layerNorm(ctx, last, `${p}ln_final`, spec.eps);
  return textProjection(ctx, spec, pooled);
}
