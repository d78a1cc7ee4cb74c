import { CliphubError } from '@cliphub/core';

/** Every way a validation request can be wrong; stable for callers and tests. */
export type ValidateErrorCode =
  | 'NOT_FOUND'
  | 'BAD_REFERENCE'
  | 'MISSING_KEY'
  | 'BAD_SHAPE'
  | 'BAD_DTYPE'
  | 'BAD_METADATA'
  | 'UNKNOWN_SET'
  | 'BAD_ARTIFACT'
  | 'INPUT_MISMATCH'
  | 'DIM_MISMATCH'
  | 'CONTEXT_MISMATCH'
  | 'BAD_PROFILE'
  | 'BAD_SUITE'
  | 'EMPTY_SUITE'
  | 'EXPORT_UNAVAILABLE'
  | 'RUNTIME_FAILED';

/** Bad input: exit code 2 and a one-line message saying what is wrong and what to do. */
export class ValidateError extends CliphubError<ValidateErrorCode> {
  override name = 'ValidateError';
}

/** Wraps errors from lower layers (safetensors, fs) so every bad-input failure carries exit code 2. */
export function asValidateError(err: unknown, code: ValidateErrorCode, context: string): ValidateError {
  if (err instanceof ValidateError) return err;
  const e = err as { message?: unknown; code?: unknown; cause?: { code?: unknown } } | null;
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  const fsCode = typeof e?.code === 'string' ? e.code : '';
  // readSmallTextFile's UNREADABLE keeps the fs error as its cause
  if (fsCode === 'ENOENT' || fsCode === 'NOT_FOUND' || e?.cause?.code === 'ENOENT')
    return new ValidateError('NOT_FOUND', `${context}: no such file or directory; check the path`, { cause: err });
  return new ValidateError(code, `${context}: ${msg}`, { cause: err });
}
