import { CliphubFileError } from '@cliphub/core';

export type RuntimeErrorCode =
  | 'MANIFEST_MISSING'
  | 'MANIFEST_INVALID'
  | 'TOWER_MISSING'
  | 'BAD_TENSOR'
  | 'BAD_INPUT'
  | 'TOKEN_OUT_OF_RANGE'
  | 'CUDA_UNAVAILABLE'
  | 'SESSION_FAILED';

/** A runtime failure caused by its input (a model dir, a tensor, an option): exit code 2, with the file when one is to blame. */
export class RuntimeError extends CliphubFileError<RuntimeErrorCode> {
  override name = 'RuntimeError';
}
