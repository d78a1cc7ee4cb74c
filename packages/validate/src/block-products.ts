import ort from 'onnxruntime-node';
import type { EmbeddingSet } from './reference.js';
import { PAIR_INPUTS, PAIR_OUTPUTS, pairProductsModel } from './pair-products-model.js';

/** Raw dot products image_i · text_j of rows [start, start + rows) against every text, row-major [rows, n]. */
export interface ProductBlock {
  start: number;
  rows: number;
  reference: Float32Array;
  candidate: Float32Array;
}

/**
 * Elements per output block: 2^22 f32 (16 MiB) each keeps the garbage between collections small (memory
 * does not grow with n^2) while every Gemm still has enough rows to run at full speed.
 */
export const DEFAULT_BLOCK_ELEMENTS = 2 ** 22;

/**
 * Streams the reference's and the candidate's image-text dot products in row blocks, computed by
 * onnxruntime's Gemm (MLAS: the same fast f32 kernels numpy's BLAS uses). Only one block pair is alive
 * at a time; the [n, dim] inputs are passed as views, not copied.
 */
export async function* productBlocks(
  ref: EmbeddingSet,
  cand: EmbeddingSet,
  n: number,
  dim: number,
  blockElements = DEFAULT_BLOCK_ELEMENTS,
): AsyncGenerator<ProductBlock> {
  if (n === 0) return;
  // The arena would keep the largest block's buffers for the session's life; blocks are uniform anyway.
  const session = await ort.InferenceSession.create(pairProductsModel(), {
    executionProviders: ['cpu'],
    enableCpuMemArena: false,
    enableMemPattern: false,
  });
  try {
    const rowsPerBlock = Math.max(1, Math.min(n, Math.floor(blockElements / n)));
    const tensor = (data: Float32Array, rows: number): ort.Tensor => new ort.Tensor('float32', data, [rows, dim]);
    const [refImage, refText, candImage, candText] = PAIR_INPUTS;
    const [refOut, candOut] = PAIR_OUTPUTS;
    const texts = { [refText]: tensor(ref.text, n), [candText]: tensor(cand.text, n) };
    for (let start = 0; start < n; start += rowsPerBlock) {
      const rows = Math.min(rowsPerBlock, n - start);
      const slice = (x: Float32Array): Float32Array => x.subarray(start * dim, (start + rows) * dim);
      const out = await session.run({
        ...texts,
        [refImage]: tensor(slice(ref.image), rows),
        [candImage]: tensor(slice(cand.image), rows),
      });
      yield {
        start,
        rows,
        reference: out[refOut]?.data as Float32Array,
        candidate: out[candOut]?.data as Float32Array,
      };
    }
  } finally {
    await session.release();
  }
}
