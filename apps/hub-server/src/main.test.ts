import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sink, tempDir } from '#test-support';
import { createHubServer } from '@cliphub/hub-server';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from './main.js';

const TOKEN = 'hf_binTest_0123456789abcdef';
const builtBin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/bin.js');

async function run(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(argv, { stdout, stderr, cwd });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('cliphub-hub-server', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));
  const dir = (): string => {
    const t = tempDir('cliphub-bin-');
    cleanups.push(t.cleanup);
    return t.dir;
  };

  it('prints its usage', async () => {
    const r = await run(['--help'], dir());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--tokens FILE[\s\S]*--rate-limit N[\s\S]*--body-timeout S/);
  });

  it('refuses bad options, a bad tokens file and a data dir in use: exit 2, one line, no token', async () => {
    const cwd = dir();
    writeFileSync(path.join(cwd, 'tokens'), `alice ${TOKEN} write\n`);
    for (const [argv, why] of [
      [['--port', 'x'], /--port must be 0..65535/],
      [['--rate-limit', '0'], /--rate-limit must be a positive number/],
      [['--nope'], /Unknown option '--nope'/],
      [['--tokens', 'tokens'], /tokens file line 1: field 1 \(TOKEN\) is shorter/],
    ] as const) {
      const r = await run([...argv, '--data', 'd', '--port', argv[0] === '--port' ? 'x' : '0'], cwd);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(why);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toContain(TOKEN);
    }
    const held = await createHubServer({ dataDir: path.join(cwd, 'held') });
    try {
      const r = await run(['--data', 'held', '--port', '0'], cwd);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^cliphub-hub-server: data dir .*held is locked: it is in use by process \d+/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await held.close();
    }
  });

  describe.skipIf(!existsSync(builtBin))('the built binary', () => {
    /** Starts the binary; resolves with its URL once it listens. */
    function start(cwd: string): Promise<{ url: string; kill: (signal: NodeJS.Signals) => Promise<number | null> }> {
      const child = spawn(process.execPath, [builtBin, '--port', '0', '--data', 'data', '--tokens', 'tokens'], { cwd });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      return new Promise((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) resolve({ url: m[1] as string, kill: (s) => (child.kill(s), exited) });
        });
        child.on('exit', (code) => reject(new Error(`exited ${code} before listening`)));
      });
    }

    it('survives kill -9: the next start takes over the stale lock and every commit is there', async () => {
      const cwd = dir();
      writeFileSync(path.join(cwd, 'tokens'), `${TOKEN} alice write\n`);
      const auth = { Authorization: `Bearer ${TOKEN}` };
      const first = await start(cwd);
      await fetch(`${first.url}/api/repos/create`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ name: 'k' }),
      });
      for (let i = 0; i < 5; i++) {
        const body = [
          { key: 'header', value: { summary: `c${i}` } },
          {
            key: 'file',
            value: { path: `f${i}.txt`, content: Buffer.from(`${i}`).toString('base64'), encoding: 'base64' },
          },
        ]
          .map((l) => JSON.stringify(l))
          .join('\n');
        expect(
          (await fetch(`${first.url}/api/models/alice/k/commit/main`, { method: 'POST', headers: auth, body })).status,
        ).toBe(200);
      }
      expect(await first.kill('SIGKILL')).toBeNull();
      expect(existsSync(path.join(cwd, 'data/cliphub-hub.lock'))).toBe(true);
      const second = await start(cwd);
      try {
        for (let i = 0; i < 5; i++)
          expect(await (await fetch(`${second.url}/alice/k/resolve/main/f${i}.txt`, { headers: auth })).text()).toBe(
            `${i}`,
          );
      } finally {
        expect(await second.kill('SIGTERM')).toBe(0);
      }
      expect(existsSync(path.join(cwd, 'data/cliphub-hub.lock'))).toBe(false); // a clean stop releases it
    });
  });
});
