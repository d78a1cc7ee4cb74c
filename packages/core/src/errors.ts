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

  /** `options` may be the exit code alone, the common case of a package error that can also report a failed check. */
  constructor(code: Code, message: string, options: ExitCode | { exitCode?: ExitCode; cause?: unknown } = {}) {
    const { exitCode, cause } = typeof options === 'number' ? { exitCode: options, cause: undefined } : options;
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.exitCode = exitCode ?? 2;
  }
}

/** A CliphubError caused by an input (bad input, exit 2) that names the file to blame, when there is one. */
export class CliphubFileError<Code extends string = string> extends CliphubError<Code> {
  override name = 'CliphubFileError';
  constructor(
    code: Code,
    message: string,
    readonly file?: string,
  ) {
    super(code, message);
  }
}

export function isCliphubError(value: unknown): value is CliphubError {
  return value instanceof CliphubError;
}
