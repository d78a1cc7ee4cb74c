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
export function buildCocaText(c: BuildCtx, s: TextSpec, ids: string, act: Activation): string {
  const { g } = c;
  const p = s.prefix;
  const W = s.width;
  const L = s.context + 1;
  const cls = s.cls ?? { padId: 0, correctClsMask: false };
  const tok = g.node('Gather', [c.w.direct(g, `${p}token_embedding.weight`, c.cdt), ids], { axis: 0 }); // [N, L-1, W]
  const first = g.node('Slice', [ids, i64(c, [0]), i64(c, [1]), i64(c, [1])]); // [N, 1]
  const batch = g.node('Shape', [first]); // [N, 1]
  const clsTok = g.node('Expand', [
    g.node('Reshape', [c.w.direct(g, `${p}cls_emb`, c.cdt), i64(c, [1, 1, W])]),
    g.node('Concat', [batch, i64(c, [W])], { axis: 0 }),
  ]);
  const pos = c.w.direct(g, `${p}positional_embedding`, c.cdt);
  let x = g.node('Add', [g.node('Concat', [tok, clsTok], { axis: 1 }), pos]);
  x = g.node('Reshape', [x, i64(c, [-1, W])]); // [N·L, W]

  // Key validity [N, L]: ids != pad_id, and the class position always valid. open_clip's legacy CoCa mask
  // puts the always-valid entry first (keys shifted by one); correct_cls_mask puts it last.
  const valid = g.node('Not', [g.node('Equal', [ids, i64(c, [cls.padId], [])])]);
  const always = g.node('Equal', [first, first]);
  const keys = g.node('Concat', cls.correctClsMask ? [valid, always] : [always, valid], { axis: 1 });
  const inf = c.g.constant([-Infinity], [], c.cdt);
  let mask = g.node('Unsqueeze', [g.node('Where', [keys, c.g.constant([0], [], c.cdt), inf]), i64(c, [1, 2])]);
  if (s.causal) {
    const causal = c.w.computed(g, `${p}causal_mask`, [L, L], c.cdt, () => {
      const m = new Float32Array(L * L);
      for (let i = 0; i < L; i++) for (let j = i + 1; j < L; j++) m[i * L + j] = -Infinity;
      return Promise.resolve(m);
    });
    mask = g.node('Add', [mask, causal]); // [N, 1, L, L]
  }
  const hd = W / s.heads;
  const shape = i64(c, [-1, L, s.heads, hd]);
  for (let i = 0; i < s.layers; i++) {
    const b = `${p}transformer.resblocks.${i}.`;
    const ls1 = s.layerScale ? { gamma: `${b}ls_1.gamma` } : {};
    const ls2 = s.layerScale ? { gamma: `${b}ls_2.gamma` } : {};
    const h = layerNorm(c, x, `${b}ln_1`, s.eps);
    const qkv = packedQkv(`${b}attn.`, W, s.heads);
    const heads = (part: 'q' | 'k' | 'v', perm: number[]) =>
      g.node('Transpose', [g.node('Reshape', [linear(c, h, `${b}attn.${part}`, W, W, ...qkv[part]), shape])], {
        perm,
      });
    const scores = g.node('Add', [g.node('MatMul', [heads('q', [0, 2, 1, 3]), heads('k', [0, 2, 3, 1])]), mask]);
    const ctx = g.node('MatMul', [softmax(c, scores), heads('v', [0, 2, 1, 3])]);
    const merged = g.node('Reshape', [g.node('Transpose', [ctx], { perm: [0, 2, 1, 3] }), i64(c, [-1, W])]);
    const out = linear(
      c,
      merged,
      `${b}attn.out`,
      W,
      W,
      { name: `${b}attn.out_proj.weight`, layout: 'torch', ...ls1 },
      { name: `${b}attn.out_proj.bias`, ...ls1 },
    );
    x = g.node('Add', [x, out]);
    x = g.node('Add', [
      x,
      mlp(c, layerNorm(c, x, `${b}ln_2`, s.eps), `${b}mlp.c_fc`, `${b}mlp.c_proj`, W, s.mlpWidth, act, ls2),
    ]);
  }
  // The class token is the last row; ln_final is applied after pooling, as open_clip does for embed_cls.
  const last = g.node('Gather', [g.node('Reshape', [x, i64(c, [-1, L, W])]), i64(c, [L - 1], [])], { axis: 1 });
  const pooled = layerNorm(c, last, `${p}ln_final`, s.eps);
  return textProjection(c, s, pooled);
}
