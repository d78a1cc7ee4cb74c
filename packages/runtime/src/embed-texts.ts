import { RuntimeError } from './errors.js';
import { checkBatch, type EmbedOptions } from './embed-images.js';
import { l2NormalizeRows } from './l2-normalize.js';
import type { ClipModel } from './load-model.js';
import { runText } from './run-tower.js';

export interface TextEmbeddings {
  /** row-major [count, dim], float32, in input order */
  data: Float32Array;
  count: number;
  dim: number;
  /** how many texts were longer than the context and were cut (EOT kept last, as open_clip does) */
  truncated: number;
  /** the input indices of the truncated texts */
  truncatedIndices: number[];
}

/** Tokenizes texts with the model's tokenizer and embeds them in batches. */
export async function embedTexts(
  model: ClipModel,
  texts: readonly string[],
  opts: EmbedOptions = {},
): Promise<TextEmbeddings> {
  const batch = checkBatch(opts.batch);
  const tok = model.tokenizer;
  if (!tok)
    throw new RuntimeError(
      'TOWER_MISSING',
      `the model in ${model.dir} was loaded without its text tower; load it with towers: ['text']`,
      model.dir,
    );
  const dim = model.embedDim;
  const ctx = model.manifest.tokenizer.contextLength;
  const data = new Float32Array(texts.length * dim);
  const truncatedIndices: number[] = [];
  for (let start = 0; start < texts.length; start += batch) {
    const chunk = texts.slice(start, start + batch);
    chunk.forEach((t, k) => {
      if (typeof t !== 'string')
        throw new RuntimeError('BAD_INPUT', `text #${start + k} is a ${typeof t}, not a string`);
    });
    const { ids, count, truncated } = tok.tokenize(chunk, ctx);
    // The tokenizer counts cuts per batch; find which rows only when there are some (the CLI names the lines).
    if (truncated > 0)
      for (let k = 0; k < count; k++)
        if (tok.tokenize([chunk[k]!], ctx).truncated > 0) truncatedIndices.push(start + k);
    data.set(await runText(model, ids, count), start * dim);
    opts.onProgress?.(Math.min(start + batch, texts.length), texts.length);
  }
  if (opts.normalize) l2NormalizeRows(data, dim);
  return { data, count: texts.length, dim, truncated: truncatedIndices.length, truncatedIndices };
}
