import { CliphubFileError } from '@cliphub/core';

export type PreprocessErrorCode = 'IMAGE_UNREADABLE' | 'BAD_CONFIG';

/** A preprocessing failure caused by its input (an unreadable image, a bad config): exit code 2. */
export class PreprocessError extends CliphubFileError<PreprocessErrorCode> {
  override name = 'PreprocessError';
}
