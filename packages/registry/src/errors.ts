import { CliphubError } from '@cliphub/core';

/** Why the registry refused: the code is stable for scripts, the message says what to do. */
export type RegistryErrorCode =
  | 'UNKNOWN_MODEL'
  | 'UNKNOWN_TAG'
  | 'BAD_SPEC'
  | 'NO_CONFIG'
  | 'BAD_CONFIG'
  | 'BAD_DATA'
  | 'HUB_UNREACHABLE'
  | 'NAME_TAKEN';

/** A registry error. exitCode 2 = bad input (the user can fix the spec or file); 1 = the Hub could not be reached. */
export class RegistryError extends CliphubError<RegistryErrorCode> {
  override name = 'RegistryError';
  constructor(
    code: RegistryErrorCode,
    message: string,
    readonly suggestions: string[] = [],
    exitCode: 1 | 2 = 2,
  ) {
    super(code, suggestions.length > 0 ? `${message} Did you mean: ${suggestions.join(', ')}?` : message, { exitCode });
  }
}
