import { Writable } from 'node:stream';
import { main } from '../main.js';

/** A writable that keeps what it was given, for reading a command's output in tests. */
export function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  }) as Writable & { text: () => string };
  w.text = () => chunks.join('');
  return w;
}

export interface MainResult {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in-process with captured stdout/stderr. */
export async function runMain(argv: string[], options: { env?: NodeJS.ProcessEnv; cwd: string }): Promise<MainResult> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(argv, { stdout, stderr, env: options.env ?? {}, cwd: options.cwd });
  return { code, out: stdout.text(), err: stderr.text() };
}
