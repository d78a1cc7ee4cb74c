/** A tokenizer failure caused by its input (a missing vocab, a bad tokenizer.json): exit code 2. */
export class TokenizerError extends Error {
  readonly exitCode = 2;
  constructor(
    readonly code: 'VOCAB_NOT_FOUND' | 'VOCAB_INVALID' | 'HF_TOKENIZER_INVALID' | 'BAD_CONTEXT_LENGTH' | 'BAD_CLEAN_MODE',
    message: string,
  ) {
    super(message);
    this.name = 'TokenizerError';
  }
}
