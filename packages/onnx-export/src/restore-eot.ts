import { type BuildCtx, i64 } from './blocks.js';
import { DataType } from './proto.js';

/**
 * transformers.js truncates an over-long text by cutting its ids to the context length, which drops the end
 * token; open_clip's tokenizer puts the end token in the last position instead. For rows without `eotId`,
 * this replaces the last id with it, so the tower pools what open_clip pools. Rows holding it are unchanged.
 */
export function restoreEot(ctx: BuildCtx, ids: string, eotId: number): string {
  const { graph } = ctx;
  const eot = i64(ctx, [eotId], []);
  // ArgMax gives the first end token's position (0 when there is none); its id tells whether there was one.
  const first = graph.node('ArgMax', [graph.node('Cast', [graph.node('Equal', [ids, eot])], { to: DataType.INT32 })], {
    axis: 1,
    keepdims: 1,
  });
  const hasEot = graph.node('Equal', [graph.node('GatherElements', [ids, first], { axis: 1 }), eot]);
  const head = graph.node('Slice', [ids, i64(ctx, [0]), i64(ctx, [-1]), i64(ctx, [1])]);
  const last = graph.node('Slice', [ids, i64(ctx, [-1]), i64(ctx, [Number.MAX_SAFE_INTEGER]), i64(ctx, [1])]);
  return graph.node('Concat', [head, graph.node('Where', [hasEot, last, eot])], { axis: 1 });
}

/**
 * The same for full-length rows (texts padded to the context, as transformers.js pads SigLIP's): a Hugging Face
 * tokenizer's truncation keeps its end token last, transformers.js's cuts it off. A row whose last id is not
 * `padId` was cut (or already ends with `endId`), so its last id becomes `endId`; padded rows are unchanged.
 */
export function restoreEndToken(ctx: BuildCtx, ids: string, endId: number, padId: number): string {
  const { graph } = ctx;
  const head = graph.node('Slice', [ids, i64(ctx, [0]), i64(ctx, [-1]), i64(ctx, [1])]);
  const last = graph.node('Slice', [ids, i64(ctx, [-1]), i64(ctx, [Number.MAX_SAFE_INTEGER]), i64(ctx, [1])]);
  const padded = graph.node('Equal', [last, i64(ctx, [padId], [])]);
  return graph.node('Concat', [head, graph.node('Where', [padded, last, i64(ctx, [endId], [])])], { axis: 1 });
}
