import { EXIT_BAD_INPUT, UsageError, type CommandIO } from './command.js';
import { commands } from './commands/index.js';

const HELP = (): string => `cliphub: convert, export, validate and publish OpenCLIP models without Python

Usage: cliphub <command> [options]   (cliphub <command> --help for details)

Commands:
${commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

Exit codes: 0 ok, 1 check failed, 2 bad input.
`;

/** Runs the CLI; returns the exit code instead of exiting so tests can call it in-process. */
export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(HELP());
    return name ? 0 : EXIT_BAD_INPUT;
  }
  if (name === '--version') {
    io.stdout.write('cliphub 0.1.0\n');
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    io.stderr.write(`cliphub: unknown command '${name}'. Commands: ${commands.map((c) => c.name).join(', ')}\n`);
    return EXIT_BAD_INPUT;
  }
  const command = await entry.load();
  try {
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (e) {
    return reportError(e, io);
  }
}

/** One line per error; typed library errors carry their own exit code (bad input = 2). */
export function reportError(e: unknown, io: CommandIO): number {
  const err = e as Error & { exitCode?: number; code?: string };
  if (e instanceof UsageError || typeof err.exitCode === 'number') {
    io.stderr.write(`cliphub: ${err.message}\n`);
    return err.exitCode ?? EXIT_BAD_INPUT;
  }
  if (err && typeof err.code === 'string' && ['ENOENT', 'EISDIR', 'ENOTDIR', 'EACCES'].includes(err.code)) {
    io.stderr.write(`cliphub: ${err.message}\n`);
    return EXIT_BAD_INPUT;
  }
  io.stderr.write(`cliphub: internal error: ${err?.stack ?? String(e)}\n`);
  return 70;
}
