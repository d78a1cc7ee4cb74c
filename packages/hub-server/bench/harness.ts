import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = path.dirname(fileURLToPath(import.meta.url));
export const packageDir = path.resolve(benchDir, '..');
const viteNode = path.resolve(packageDir, '../../node_modules/.bin/vite-node');

export interface ChildHub {
  url: string;
  pid: number;
  dataDir: string;
  tokensFile: string;
  tokens: Record<string, string>;
  /** Peak and current resident memory of the server process, in MB (from /proc). */
  memory(): { peakMb: number; rssMb: number };
  stop(): Promise<void>;
}

export const token = (user: string): string => `hf_${user}_${randomBytes(10).toString('hex')}`;

/**
 * Starts a server from `modulePath` (a module exporting createHubServer) in a child process, with a tokens
 * file giving `writers` write tokens (each to its own namespace, plus `acme`) and `bob` a read token in acme.
 */
export async function startChildHub(
  modulePath: string,
  writers: string[],
  options: Record<string, unknown> = {},
): Promise<ChildHub> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cliphub-bench-'));
  const tokens: Record<string, string> = { bob: token('bob') };
  for (const w of writers) tokens[w] = token(w);
  const tokensFile = path.join(dir, 'tokens');
  writeFileSync(
    tokensFile,
    Object.entries(tokens)
      .map(([user, t]) => `${t} ${user} ${user === 'bob' ? 'read' : 'write'} acme`)
      .join('\n'),
  );
  const dataDir = path.join(dir, 'data');
  const child: ChildProcess = spawn(
    viteNode,
    [path.join(benchDir, 'child-server.ts'), '--', modulePath, dataDir, tokensFile, JSON.stringify(options)],
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: packageDir },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.on('exit', (code) => reject(new Error(`bench server exited ${code} before listening`)));
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const kb = (field: string): number => {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  };
  return {
    url,
    pid: child.pid as number,
    dataDir,
    tokensFile,
    tokens,
    memory: () => ({ peakMb: kb('VmHWM'), rssMb: kb('VmRSS') }),
    async stop() {
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export const fmtMs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
