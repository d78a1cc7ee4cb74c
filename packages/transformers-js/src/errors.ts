import { CliphubError } from '@cliphub/core';

/** Bad input for the transformers.js layout (exit 2): a model it cannot express, a bad option, an existing folder. */
export class TransformersJsError extends CliphubError {
  override name = 'TransformersJsError';
  constructor(code: string, message: string, exitCode: 1 | 2 = 2) {
    super(code, message, { exitCode });
  }
}
