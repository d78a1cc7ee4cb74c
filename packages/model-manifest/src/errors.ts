import { CliphubFileError } from '@cliphub/core';

export type ManifestErrorCode = 'MANIFEST_MISSING' | 'MANIFEST_INVALID';

/** A missing or malformed cliphub.json (bad input: exit code 2), with the file to blame. */
export class ManifestError extends CliphubFileError<ManifestErrorCode> {
  override name = 'ManifestError';
}
