import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { AutoTokenizer, env, type Tensor } from '@huggingface/transformers';
import { pythonScriptJsonAsync } from '#test-support';
import { convertToTransformersJs, type LayoutDtype } from '../index.js';

const UTILS = import.meta.dirname;

/** Makes transformers.js load models only from DIR (offline): a layout named N is DIR/N. */
export function loadLocalModelsFrom(dir: string): void {
  env.allowRemoteModels = false;
  env.localModelPath = `${dir}/`;
}

/** Writes the tiny real test tokenizers (wordpiece, unigram-t5, unigram-xlmr, bpe-gemma, ...) as DIR/NAME. */
export async function makeTestTokenizers(dir: string): Promise<void> {
  await pythonScriptJsonAsync<null>(path.join(UTILS, 'make_hf_tokenizers.py'), [dir]);
}

export interface TextTowerOracle {
  ids: number[][];
  text_embeds: number[][];
}

/** open_clip's ids and text embeddings of `texts` for the model in `dir` with the HF tokenizer in `tokenizer`. */
export async function textTowerOracle(
  jobFile: string,
  job: { dir: string; tokenizer: string; texts: string[] },
): Promise<TextTowerOracle> {
  writeFileSync(jobFile, JSON.stringify(job));
  return pythonScriptJsonAsync<TextTowerOracle>(path.join(UTILS, 'text_tower_oracle.py'), [jobFile]);
}

/** The ids transformers.js's AutoTokenizer for layout `name` gives `texts`, padded to max_length and cut. */
export async function maxLengthIds(name: string, texts: string[]): Promise<number[][]> {
  const tokenizer = await AutoTokenizer.from_pretrained(name);
  const ids = tokenizer(texts, { padding: 'max_length', truncation: true }).input_ids as Tensor;
  return (ids.tolist() as bigint[][]).map((row) => row.map(Number));
}

/**
 * Prepares DIR for a test of `fixture` under one of the test tokenizers: the tokenizers in DIR/tokenizers,
 * the layout converted with `tokenizer` in DIR/NAME, transformers.js reading from DIR. Returns open_clip's
 * ids and text embeddings of `texts` with that tokenizer.
 */
export async function convertWithTestTokenizer(
  dir: string,
  o: { fixture: string; name: string; tokenizer: string; texts: string[]; dtypes?: LayoutDtype[] },
): Promise<TextTowerOracle> {
  loadLocalModelsFrom(dir);
  await makeTestTokenizers(path.join(dir, 'tokenizers'));
  const tokenizerDir = path.join(dir, 'tokenizers', o.tokenizer);
  await convertToTransformersJs({
    input: o.fixture,
    outDir: path.join(dir, o.name),
    ...(o.dtypes && { dtypes: o.dtypes }),
    hfTokenizer: tokenizerDir,
  });
  return textTowerOracle(path.join(dir, 'job.json'), { dir: o.fixture, tokenizer: tokenizerDir, texts: o.texts });
}
