import { readFileSync } from 'node:fs';
import { CliphubError } from '@cliphub/core';
import { EXIT_BAD_INPUT, type CommandIO } from './command.js';
import { commands } from './commands/index.js';

/** An unexpected failure: a bug in cliphub (EX_SOFTWARE from sysexits.h), never bad input. */
export const EXIT_INTERNAL = 70;

/** The CLI package's own version (package.json sits one level above both src/ and dist/). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const HELP = (): string => `cliphub: convert, export, validate and publish OpenCLIP models without Python

Usage: cliphub <command> [options]   (cliphub <command> --help for details)

Commands:
${commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

Options: --version, --help (also after any command).
Exit codes: 0 ok, 1 check failed, 2 bad input, 70 internal error (a bug in cliphub: please report it).
Environment: CLIPHUB_DEBUG=1 prints the stack trace of an internal error.
`;

/** Runs the CLI; returns the exit code instead of exiting so tests can call it in-process. */
export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(HELP());
    return name ? 0 : EXIT_BAD_INPUT;
  }
  if (name === '--version') {
    io.stdout.write(`cliphub ${VERSION}\n`);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    io.stderr.write(`cliphub: unknown command '${name}'. Commands: ${commands.map((c) => c.name).join(', ')}\n`);
    return EXIT_BAD_INPUT;
  }
  try {
    const command = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (e) {
    return reportError(e, io);
  }
}

/**
 * One line per error; typed library errors carry their own exit code (bad input = 2). Anything else is a bug:
 * exit 70 with one line that says how to report it; the stack trace only with CLIPHUB_DEBUG=1.
 */
export function reportError(e: unknown, io: CommandIO): number {
  if (e instanceof CliphubError) {
    io.stderr.write(`cliphub: ${e.message}\n`);
    return e.exitCode;
  }
  const err = e as Error & { code?: string };
  if (err && typeof err.code === 'string' && ['ENOENT', 'EISDIR', 'ENOTDIR', 'EACCES'].includes(err.code)) {
    io.stderr.write(`cliphub: ${err.message}\n`);
    return EXIT_BAD_INPUT;
  }
  const debug = ['1', 'true', 'yes', 'on'].includes((io.env.CLIPHUB_DEBUG ?? '').trim().toLowerCase());
  const summary = (err instanceof Error ? `${err.name}: ${err.message}` : String(e)).split('\n')[0];
  io.stderr.write(
    `cliphub: internal error (exit ${EXIT_INTERNAL}): ${summary}\n` +
      `cliphub: this is a bug in cliphub ${VERSION} (node ${process.version}, ${process.platform}-${process.arch}); ` +
      `please report it to the cliphub maintainers with the command you ran and ${
        debug ? 'the stack trace below' : 'its output with CLIPHUB_DEBUG=1 set (which adds the stack trace)'
      }\n`,
  );
  if (debug && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
  return EXIT_INTERNAL;
}
