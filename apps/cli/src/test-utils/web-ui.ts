import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { repoRoot } from '#test-support';

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

/** Ends a browser test's fixtures, last started first: the browser, the server, the scratch folder. */
export async function stopAll(
  browser: Browser | undefined,
  serve: ServeProcess | undefined,
  tmp: { cleanup(): void },
): Promise<void> {
  await browser?.close();
  await serve?.stop();
  tmp.cleanup();
}
