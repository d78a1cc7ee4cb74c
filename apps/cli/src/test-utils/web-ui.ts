import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { oraclePython, repoRoot } from '#test-support';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

export interface ServeProcess {
  url: string;
  /** Everything the server wrote (its request log is on stderr). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * `cliphub serve` in its own process, from source (vite-node with the workspace aliases), on a free port;
 * resolves once it prints the URL it listens on.
 */
export function startServe(args: string[], cwd: string): Promise<ServeProcess> {
  const bin = path.join(repoRoot, 'node_modules/.bin/vite-node');
  const child: ChildProcess = spawn(
    bin,
    [
      '--config',
      path.join(repoRoot, 'vitest.config.ts'),
      path.join(repoRoot, 'apps/cli/src/bin.ts'),
      'serve',
      '--port',
      '0',
      ...args,
    ],
    { cwd, env: { ...process.env, NODE_ENV: 'test' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cliphub serve did not start:\n${out}`)), 60_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1] as string,
          log: () => out,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cliphub serve exited with ${code}:\n${out}`));
    });
  });
}

/** Debian's Chromium, headless, through playwright-core (no browser download). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Oracle Python without blocking the event loop; resolves with its last stdout line as JSON. */
export function pythonJsonAsync<T>(code: string, args: string[], env: Record<string, string>): Promise<T> {
  return new Promise((done, fail) => {
    const p = spawn(oraclePython, ['-W', 'ignore', '-c', code, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    });
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
