import type { ModelCfg, TokenizerInfo } from './types.js';

const DEFAULT_CONTEXT_LENGTH = 77;
const CLIP_VOCAB_SIZE = 49408;

export interface TokenizerContext {
  /** The built-in architecture name (open_clip picks SigLipTokenizer by name only for schema-less specs). */
  arch?: string | null;
  /** For local-dir specs open_clip loads HF tokenizer files from the directory itself. */
  localDir?: string | null;
}

/** The tokenizer open_clip.get_tokenizer() builds for this config, described (not loaded). */
export function tokenizerOf(modelCfg: ModelCfg, ctx: TokenizerContext = {}): TokenizerInfo {
  const t = modelCfg.text_cfg;
  const contextLength = typeof t.context_length === 'number' ? t.context_length : DEFAULT_CONTEXT_LENGTH;
  const kwargs = (t.tokenizer_kwargs && typeof t.tokenizer_kwargs === 'object' ? t.tokenizer_kwargs : {}) as Record<
    string,
    unknown
  >;
  const vocab = typeof t.vocab_size === 'number' ? t.vocab_size : null;
  const hfName = typeof t.hf_tokenizer_name === 'string' ? t.hf_tokenizer_name : '';
  if (hfName) {
    const info: TokenizerInfo = { kind: 'hf', name: ctx.localDir ?? hfName, contextLength, vocabSize: vocab };
    if (typeof t.tokenizer_mode === 'string') info.mode = t.tokenizer_mode;
    if (typeof kwargs.clean === 'string') info.clean = kwargs.clean;
    if (kwargs.strip_sep_token === true) info.stripSepToken = true;
    return info;
  }
  const arch = (ctx.arch ?? '').toLowerCase();
  if (ctx.arch && arch.includes('siglip')) {
    // open_clip's SigLipTokenizer: a sentencepiece vocab chosen by the model name.
    const variant = arch.includes('siglip2') ? 'gemma' : arch.includes('i18n') ? 'mc4' : 'c4-en';
    return { kind: 'hf', name: `siglip:${variant}`, contextLength, vocabSize: vocab };
  }
  const info: TokenizerInfo = {
    kind: 'simple',
    contextLength,
    vocabSize: vocab ?? CLIP_VOCAB_SIZE,
    clean: typeof kwargs.clean === 'string' ? kwargs.clean : 'lower',
  };
  if (kwargs.strip_sep_token === true) info.stripSepToken = true;
  return info;
}
