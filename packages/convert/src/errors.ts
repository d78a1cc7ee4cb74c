import { CliphubError } from '@cliphub/core';

/** A conversion input the user must fix (exit 2), or a verification failure (exit 1). */
export class ConvertError extends CliphubError {
  override name = 'ConvertError';
  constructor(code: string, message: string, exitCode: 1 | 2 = 2) {
    super(code, message, { exitCode });
  }
}
