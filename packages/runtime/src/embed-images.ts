import { preprocessImage, PreprocessError } from '@cliphub/preprocess';
import { RuntimeError } from './errors.js';
import { l2NormalizeRows } from './l2-normalize.js';
import type { ClipModel } from './load-model.js';
import { runVision } from './run-tower.js';

export type ImageInput = string | Buffer;

export interface EmbedOptions {
  /** items per forward pass (default 16) */
  batch?: number;
  /** L2-normalize each embedding (a no-op when the graphs already normalize) */
  normalize?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface EmbedImagesOptions extends EmbedOptions {
  /** skip unreadable images (listed in `skipped`) instead of throwing on the first */
  keepGoing?: boolean;
}

export interface SkippedInput {
  index: number;
  /** the path, or `<buffer #i>` */
  input: string;
  message: string;
}

export interface Embeddings {
  /** row-major [count, dim], float32, in input order (skipped inputs left out) */
  data: Float32Array;
  count: number;
  dim: number;
  /** the input index of each row */
  indices: number[];
  skipped: SkippedInput[];
}

export function checkBatch(batch: number | undefined): number {
  const b = batch ?? 16;
  if (!Number.isInteger(b) || b < 1) throw new RuntimeError('BAD_INPUT', `batch ${batch} must be a positive integer`);
  return b;
}

const label = (input: ImageInput, i: number): string => (typeof input === 'string' ? input : `<buffer #${i}>`);

/** Preprocesses images as open_clip does and embeds them in batches; a bad image throws (or is skipped with keepGoing). */
export async function embedImages(
  model: ClipModel,
  inputs: readonly ImageInput[],
  opts: EmbedImagesOptions = {},
): Promise<Embeddings> {
  const batch = checkBatch(opts.batch);
  const { size } = model.preprocessCfg;
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  const per = 3 * h * w;
  const dim = model.embedDim;
  const rows: Float32Array[] = [];
  const indices: number[] = [];
  const skipped: SkippedInput[] = [];
  for (let start = 0; start < inputs.length; start += batch) {
    const chunk = inputs.slice(start, start + batch);
    // Decode the batch concurrently (sharp works off the main thread), keep input order.
    const settled = await Promise.allSettled(chunk.map((input) => preprocessImage(input, model.preprocessCfg)));
    const ok: number[] = [];
    const pixels: Float32Array[] = [];
    settled.forEach((r, k) => {
      const index = start + k;
      if (r.status === 'fulfilled') {
        ok.push(index);
        pixels.push(r.value);
        return;
      }
      const err = r.reason as Error;
      if (!(err instanceof PreprocessError) || !opts.keepGoing) throw err;
      skipped.push({ index, input: label(inputs[index]!, index), message: err.message });
    });
    if (ok.length > 0) {
      const data = new Float32Array(ok.length * per);
      pixels.forEach((p, k) => data.set(p, k * per));
      rows.push(await runVision(model, data, ok.length));
      indices.push(...ok);
    }
    opts.onProgress?.(Math.min(start + batch, inputs.length), inputs.length);
  }
  const data = new Float32Array(indices.length * dim);
  let off = 0;
  for (const r of rows) {
    data.set(r, off);
    off += r.length;
  }
  if (opts.normalize) l2NormalizeRows(data, dim);
  return { data, count: indices.length, dim, indices, skipped };
}
