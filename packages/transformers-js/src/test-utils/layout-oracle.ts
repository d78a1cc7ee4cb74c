import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { AutoTokenizer, env, type Tensor } from '@huggingface/transformers';
import { pythonScriptJsonAsync } from '#test-support';

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
