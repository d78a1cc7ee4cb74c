/** A preprocessing failure caused by its input (an unreadable image, a bad config): exit code 2. */
export class PreprocessError extends Error {
  readonly exitCode = 2;
  constructor(
    readonly code: 'IMAGE_UNREADABLE' | 'BAD_CONFIG',
    message: string,
    readonly file?: string,
  ) {
    super(message);
    this.name = 'PreprocessError';
  }
}
