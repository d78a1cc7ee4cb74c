/** A conversion input the user must fix (exit 2), or a verification failure (exit 1). */
export class ConvertError extends Error {
  override name = 'ConvertError';
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
  }
}
