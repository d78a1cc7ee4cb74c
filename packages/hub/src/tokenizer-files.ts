import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

// What a Hugging Face tokenizer's save_pretrained writes (open_clip's push_to_hf_hub calls it for HF
// tokenizers), by name; plus any vocab.* file (vocab.json, vocab.txt, vocab.bpe, ...).
const NAMES = new Set([
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'merges.txt',
  'spiece.model',
  'sentencepiece.bpe.model',
  'tokenizer.model',
]);

/** Tokenizer files directly in `dir` (not in subfolders), sorted; empty when there are none or `dir` is missing. */
export async function findTokenizerFiles(dir: string): Promise<Array<{ path: string; file: string }>> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: Array<{ path: string; file: string }> = [];
  for (const n of names.sort()) {
    if (!NAMES.has(n) && !/^vocab\.[A-Za-z0-9._-]+$/.test(n)) continue;
    const file = path.join(dir, n);
    // stat follows symlinks, as huggingface_hub's snapshot folders are made of them
    if ((await stat(file).catch(() => null))?.isFile()) out.push({ path: n, file });
  }
  return out;
}
