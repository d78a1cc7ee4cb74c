import type { EvaRope } from './timm-eva.js';

const f = Math.fround;

/**
 * timm's RotaryEmbeddingCat table for a fixed grid (build_rotary_pos_embed, in_pixels=False), as
 * sin and cos [grid·grid, headDim], float32 steps as torch takes them. Token (i, j) of the row-major
 * grid has coordinates ((i + offset) / H · refH, (j + offset) / W · refW), swapped to (x, y) for 'xy'
 * indexing; each coordinate times headDim/4 frequency bands 1 / T^(b / bands), each value repeated
 * twice (the interleaved pair layout).
 */
export function evaRopeTables(grid: number, headDim: number, rope: EvaRope): { sin: Float32Array; cos: Float32Array } {
  const nb = Math.floor(headDim / 4);
  const bands = Float32Array.from({ length: nb }, (_, b) => f(1 / f(rope.temperature ** f(b / nb))));
  const coord = (k: number, ref: number) => f(f(f(k + rope.gridOffset) / grid) * ref);
  const n = grid * grid;
  const sin = new Float32Array(n * headDim);
  const cos = new Float32Array(n * headDim);
  for (let i = 0; i < grid; i++) {
    for (let j = 0; j < grid; j++) {
      const y = coord(i, rope.ref[0]);
      const x = coord(j, rope.ref[1]);
      const comps = rope.indexing === 'ij' ? [y, x] : [x, y];
      const base = (i * grid + j) * headDim;
      comps.forEach((cv, ci) => {
        for (let b = 0; b < nb; b++) {
          const pos = f(cv * (bands[b] as number));
          const at = base + (ci * nb + b) * 2;
          sin[at] = sin[at + 1] = Math.sin(pos);
          cos[at] = cos[at + 1] = Math.cos(pos);
        }
      });
    }
  }
  return { sin, cos };
}
