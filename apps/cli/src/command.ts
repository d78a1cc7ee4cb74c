import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliphubError, type ExitCode } from '@cliphub/core';

/** Exit codes shared by every command: 0 ok, 1 a check failed, 2 bad input. */
export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

/** An error the user can fix; its message is printed as one line and the process exits with `exitCode`. */
export class UsageError extends CliphubError<'USAGE'> {
  override name = 'UsageError';
  constructor(message: string, exitCode: ExitCode = EXIT_BAD_INPUT) {
    super('USAGE', message, { exitCode });
  }
}

export interface CommandIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface Command {
  /** e.g. "convert" or "models show" */
  name: string;
  summary: string;
  /** Full --help text. */
  usage: string;
  run(argv: string[], io: CommandIO): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with --help handled and unknown flags turned into a UsageError. */
export function parseCommandArgs<O extends Options>(
  argv: string[],
  options: O,
  opts: { allowPositionals?: boolean } = {},
): ReturnType<
  typeof parseArgs<{ options: O & { help: { type: 'boolean'; short: 'h' } }; allowPositionals: boolean; strict: true }>
> {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: opts.allowPositionals ?? true,
      strict: true,
    }) as never;
  } catch (e) {
    throw new UsageError(`${(e as Error).message} (see --help)`);
  }
}

export function writeJson(io: CommandIO, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
