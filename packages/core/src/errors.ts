/** Exit codes every cliphub command uses: 1 a check failed, 2 bad input. */
export type ExitCode = 1 | 2;

/**
 * The one base of every error cliphub raises on purpose. `code` is UPPER_SNAKE_CASE and stable for
 * scripts (each package names its own union); `exitCode` says whether the input was bad (2) or a check
 * failed (1); the message is one line that says what is wrong and what to do.
 */
export class CliphubError<Code extends string = string> extends Error {
  override name = 'CliphubError';
  readonly code: Code;
  readonly exitCode: ExitCode;

  constructor(code: Code, message: string, options: { exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = options.exitCode ?? 2;
  }
}

export function isCliphubError(value: unknown): value is CliphubError {
  return value instanceof CliphubError;
}
