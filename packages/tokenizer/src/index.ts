export { TokenizerError } from './errors.js';
export { bytesToUnicode, parseBpeVocab, type BpeVocab } from './bpe-vocab.js';
export { BPE_VOCAB_FILE, findBpeVocab } from './find-bpe-vocab.js';
export { fixEncoding, fixText } from './fix-text.js';
export { htmlUnescape, ftfyUnescapeHtml } from './html-unescape.js';
export { basicClean, canonicalizeText, cleanText, type CleanMode } from './clean.js';
export { SimpleTokenizer, type SimpleTokenizerOptions, type TokenizedBatch } from './simple-tokenizer.js';
export { HfTokenizer, type HfTokenizerOptions } from './hf-tokenizer.js';
export { tokenizerForModel, type TextCfgForTokenizer, type TokenizerForModelOptions } from './tokenizer-for-model.js';
