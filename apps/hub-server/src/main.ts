import { parseArgs } from 'node:util';
import { CliphubError } from '@cliphub/core';
import { SERVE_OPTIONS, SERVE_OPTIONS_USAGE, serveFromArgs } from '@cliphub/hub-server';

export interface BinIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
}

const USAGE = `Usage: cliphub-hub-server [--port P] [--host H] [--data DIR] [--tokens FILE] [options]

A Hugging Face Hub-compatible model server (the same server as \`cliphub serve\`). See README.md for
deploying it behind a TLS proxy.

${SERVE_OPTIONS_USAGE}`;

/**
 * Runs the server until SIGINT/SIGTERM. Exit codes: 0 after a clean stop, 2 when it cannot start as
 * configured (bad option or tokens file, data dir in use), with one line on stderr.
 */
export async function main(argv: string[], io: BinIO, onListening?: (url: string) => void): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { ...SERVE_OPTIONS, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
      strict: true,
    });
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    await serveFromArgs(values, io, onListening);
    return 0;
  } catch (e) {
    if (e instanceof CliphubError) {
      io.stderr.write(`cliphub-hub-server: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`cliphub-hub-server: ${e.message} (see --help)\n`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL')) {
      io.stderr.write(`cliphub-hub-server: cannot listen: ${err.message}\n`);
      return 2;
    }
    io.stderr.write(`cliphub-hub-server: internal error: ${err?.stack ?? String(e)}\n`);
    return 70;
  }
}
