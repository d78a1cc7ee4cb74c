import { spawn } from 'node:child_process';
import { oraclePython, repoRoot } from '#test-support';

/**
 * Runs oracle Python without blocking the event loop (a synchronous spawn of a slow torch job starves vitest's
 * worker RPC), and parses the last line of its output as JSON.
 */
export function pythonJsonAsync<T>(args: string[]): Promise<T> {
  return new Promise((done, fail) => {
    const p = spawn(oraclePython, ['-W', 'ignore', ...args], { cwd: repoRoot });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (status) => {
      if (status !== 0) return fail(new Error(`oracle python failed (exit ${status}):\n${err.slice(-4000)}`));
      done(JSON.parse(out.trim().split('\n').pop() ?? 'null') as T);
    });
  });
}
