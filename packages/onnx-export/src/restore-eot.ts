import { type BuildCtx, i64 } from './blocks.js';
import { DataType } from './proto.js';

/**
 * transformers.js truncates an over-long text by cutting its ids to the context length, which drops the end
 * token; open_clip's tokenizer puts the end token in the last position instead. For rows without `eotId`,
 * this replaces the last id with it, so the tower pools what open_clip pools. Rows holding it are unchanged.
 */
export function restoreEot(c: BuildCtx, ids: string, eotId: number): string {
  const { g } = c;
  const eot = i64(c, [eotId], []);
  // ArgMax gives the first end token's position (0 when there is none); its id tells whether there was one.
  const first = g.node('ArgMax', [g.node('Cast', [g.node('Equal', [ids, eot])], { to: DataType.INT32 })], {
    axis: 1,
    keepdims: 1,
  });
  const hasEot = g.node('Equal', [g.node('GatherElements', [ids, first], { axis: 1 }), eot]);
  const head = g.node('Slice', [ids, i64(c, [0]), i64(c, [-1]), i64(c, [1])]);
  const last = g.node('Slice', [ids, i64(c, [-1]), i64(c, [Number.MAX_SAFE_INTEGER]), i64(c, [1])]);
  return g.node('Concat', [head, g.node('Where', [hasEot, last, eot])], { axis: 1 });
}

/**
 * The same for full-length rows (texts padded to the context, as transformers.js pads SigLIP's): a Hugging Face
 * tokenizer's truncation keeps its end token last, transformers.js's cuts it off. A row whose last id is not
 * `padId` was cut (or already ends with `endId`), so its last id becomes `endId`; padded rows are unchanged.
 */
export function restoreEndToken(c: BuildCtx, ids: string, endId: number, padId: number): string {
  const { g } = c;
  const head = g.node('Slice', [ids, i64(c, [0]), i64(c, [-1]), i64(c, [1])]);
  const last = g.node('Slice', [ids, i64(c, [-1]), i64(c, [Number.MAX_SAFE_INTEGER]), i64(c, [1])]);
  const padded = g.node('Equal', [last, i64(c, [padId], [])]);
  return g.node('Concat', [head, g.node('Where', [padded, last, i64(c, [endId], [])])], { axis: 1 });
}
