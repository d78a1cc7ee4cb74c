import { spawn } from 'node:child_process';
import { oraclePython, repoRoot } from '#test-support';

/**
 * Runs oracle Python without blocking the event loop (runPython is sync, and the server under test
 * lives in this process). Resolves with the last stdout line parsed as JSON.
 */
export function pythonJsonAsync<T>(
  code: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn(oraclePython, ['-W', 'ignore', '-c', code, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (status) => {
      clearTimeout(timer);
      if (status !== 0) return reject(new Error(`oracle python failed (exit ${status}):\n${err.slice(-4000)}`));
      const lines = out.trim().split('\n');
      try {
        resolve(JSON.parse(lines[lines.length - 1] ?? 'null') as T);
      } catch {
        reject(new Error(`oracle python printed no JSON:\n${out.slice(-2000)}\n${err.slice(-2000)}`));
      }
    });
  });
}

/** Same, returning stdout/stderr/status without throwing (for tests that expect a refusal). */
export function pythonRawAsync(
  code: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<{ stdout: string; stderr: string; status: number | null }> {
  return new Promise((resolve) => {
    const p = spawn(oraclePython, ['-W', 'ignore', '-c', code, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, status });
    });
  });
}
