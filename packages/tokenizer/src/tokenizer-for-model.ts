import { HfTokenizer } from './hf-tokenizer.js';
import type { CleanMode } from './clean.js';
import { TokenizerError } from './errors.js';
import { SimpleTokenizer } from './simple-tokenizer.js';

/** The parts of open_clip's `text_cfg` that choose and configure the tokenizer. */
export interface TextCfgForTokenizer {
  context_length?: number;
  hf_tokenizer_name?: string;
  tokenizer_kwargs?: { clean?: string; strip_sep_token?: boolean; [k: string]: unknown };
}

export interface TokenizerForModelOptions {
  /** the model dir: holds tokenizer.json for HF tokenizers, may hold the CLIP BPE vocab */
  modelDir: string;
  vocabPath?: string;
  /** see SimpleTokenizerOptions.bundledVocab (default true) */
  bundledVocab?: boolean;
  fetchVocab?: () => Promise<Uint8Array>;
  /** overrides the config's context length, like open_clip's get_tokenizer(context_length=) */
  contextLength?: number;
}

const CLEAN_MODES: readonly string[] = ['lower', 'whitespace', 'canonicalize'];

/** open_clip's get_tokenizer: an HF tokenizer when text_cfg names one, else the CLIP SimpleTokenizer. */
export async function tokenizerForModel(
  textCfg: TextCfgForTokenizer,
  opts: TokenizerForModelOptions,
): Promise<SimpleTokenizer | HfTokenizer> {
  const contextLength = opts.contextLength ?? textCfg.context_length ?? 77;
  const kwargs = textCfg.tokenizer_kwargs ?? {};
  const clean = kwargs.clean;
  if (clean !== undefined && !CLEAN_MODES.includes(clean)) {
    throw new TokenizerError(
      'BAD_CLEAN_MODE',
      `tokenizer_kwargs.clean ${JSON.stringify(clean)} is not one of ${CLEAN_MODES.join(', ')}; fix the model config`,
    );
  }
  if (textCfg.hf_tokenizer_name) {
    return HfTokenizer.fromDir(opts.modelDir, {
      contextLength,
      clean: (clean as CleanMode | undefined) ?? 'whitespace',
      stripSepToken: kwargs.strip_sep_token === true,
    });
  }
  return SimpleTokenizer.load({
    vocabPath: opts.vocabPath,
    modelDir: opts.modelDir,
    bundledVocab: opts.bundledVocab,
    fetchVocab: opts.fetchVocab,
    contextLength,
    clean: (clean as CleanMode | undefined) ?? 'lower',
  });
}
