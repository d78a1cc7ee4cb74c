import { CliphubError } from '@cliphub/core';

/** Stable codes for scripts; the message says what is wrong and what to do. */
export type DistillErrorCode =
  | 'BAD_RECIPE'
  | 'UNKNOWN_RECIPE'
  | 'UNKNOWN_FLAG'
  | 'BAD_FLAG_VALUE'
  | 'CHECKS_FAILED'
  | 'NO_CHECKPOINT'
  | 'BAD_RUN_DIR'
  | 'OUT_EXISTS'
  | 'NO_PYTHON'
  | 'NO_REFERENCE_SCRIPT'
  | 'REFERENCE_FAILED'
  | 'NOT_VALIDATED';

/** A distill error. exitCode 2 = bad input (fix the recipe or the arguments); 1 = a check failed. */
export class DistillError extends CliphubError<DistillErrorCode> {
  override name = 'DistillError';
}
