#!/usr/bin/env node
import { main, reportError } from './main.js';
import type { CommandIO } from './command.js';

const io: CommandIO = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
// Errors that escape main (a stream failing after a command returned) get the same one-line report and exit code.
const fatal = (e: unknown): void => {
  process.exitCode = reportError(e, io);
  process.exit();
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

process.exitCode = await main(process.argv.slice(2), io);
