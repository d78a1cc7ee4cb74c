import { sink } from '#test-support';
import { main } from '../main.js';

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
