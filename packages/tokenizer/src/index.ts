export { TokenizerError } from './errors.js';
export { bytesToUnicode, parseBpeVocab, type BpeVocab } from './bpe-vocab.js';
export {
  BPE_VOCAB_FILE,
  BUNDLED_BPE_VOCAB,
  BUNDLED_BPE_VOCAB_SHA256,
  HF_MERGES_FILE,
  findBpeVocab,
  type FindBpeVocabOptions,
} from './find-bpe-vocab.js';
export {
  CLIP_MERGE_COUNT,
  CLIP_MERGES_SHA256,
  parseMergesFile,
  type BpeMerges,
  type MergesFormat,
} from './merges-file.js';
export { fixEncoding, fixText, LIGATURES } from './fix-text.js';
export { htmlUnescape, ftfyUnescapeHtml } from './html-unescape.js';
export { basicClean, canonicalizeText, cleanText, type CleanMode } from './clean.js';
export { SimpleTokenizer, type SimpleTokenizerOptions, type TokenizedBatch } from './simple-tokenizer.js';
export { HfTokenizer, type HfTokenizerOptions } from './hf-tokenizer.js';
export { UnigramModel, type UnigramToken } from './unigram-model.js';
export { serdeJsonF64 } from './serde-json-f64.js';
export { tokenizerForModel, type TextCfgForTokenizer, type TokenizerForModelOptions } from './tokenizer-for-model.js';
