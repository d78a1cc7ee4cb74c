import { spawn } from 'node:child_process';

/**
 * The environment for running npm (or a CLI it installed) from a test: this process's, minus what an outer
 * `npm run` / `npm test` put there about the monorepo (its package, lifecycle and local prefix), which would
 * otherwise steer an npm started in another folder back to this checkout. The npm cache and registry settings stay.
 */
export function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(package|lifecycle)_/.test(key)) continue;
    if (['npm_config_local_prefix', 'npm_command', 'npm_config_call', 'INIT_CWD', 'npm_package_json'].includes(key))
      continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion without blocking the event loop (a long spawnSync starves vitest's worker RPC).
 * `timeoutMs` kills the process group the command leads, so a hung step fails instead of hanging the suite.
 */
export function runCommand(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, opts.timeoutMs ?? 600_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}
