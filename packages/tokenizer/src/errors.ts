import { CliphubError } from '@cliphub/core';

export type TokenizerErrorCode =
  'VOCAB_NOT_FOUND' | 'VOCAB_INVALID' | 'HF_TOKENIZER_INVALID' | 'BAD_CONTEXT_LENGTH' | 'BAD_CLEAN_MODE';

/** A tokenizer failure caused by its input (a missing vocab, a bad tokenizer.json): exit code 2. */
export class TokenizerError extends CliphubError<TokenizerErrorCode> {
  override name = 'TokenizerError';
  constructor(code: TokenizerErrorCode, message: string) {
    super(code, message);
  }
}
