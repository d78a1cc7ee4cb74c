import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { tempDir } from '#test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockDataDir } from './data-dir-lock.js';
import { HubConfigError } from './errors.js';
import { createHubServer } from './server.js';

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('H10: one server per data dir', () => {
  const dirs: Array<() => void> = [];
  const dataDir = (): string => {
    const { dir, cleanup } = tempDir('cliphub-lock-');
    dirs.push(cleanup);
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((c) => c()));

  it('a second server on the same data dir refuses to start with one line; after close it can start', async () => {
    const dir = dataDir();
    const first = await createHubServer({ dataDir: dir });
    const second = createHubServer({ dataDir: dir });
    await expect(second).rejects.toBeInstanceOf(HubConfigError);
    await expect(second).rejects.toThrow(new RegExp(`data dir .* is locked: it is in use by process ${process.pid}`));
    await expect(second).rejects.not.toThrow(/\n/);
    await first.close();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    const third = await createHubServer({ dataDir: dir });
    await third.close();
  });

  it('takes over a lock left by a dead process', async () => {
    const dir = dataDir();
    const stale = { pid: deadPid(), host: hostname(), id: 'dead', startedAt: '2020-01-01T00:00:00Z' };
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(stale));
    const lock = await lockDataDir(dir);
    expect(JSON.parse(readFileSync(lock.file, 'utf8')).pid).toBe(process.pid);
    await lock.release();
    expect(existsSync(lock.file)).toBe(false);
  });

  it('two takers racing for one stale lock: exactly one wins', async () => {
    const dir = dataDir();
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: hostname(), id: 'dead' }));
    const results = await Promise.allSettled([lockDataDir(dir), lockDataDir(dir), lockDataDir(dir)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'fulfilled') await r.value.release();
  });

  it('an unreadable lock is another server starting, unless it is old', async () => {
    const dir = dataDir();
    const file = path.join(dir, LOCK_FILE);
    writeFileSync(file, '');
    await expect(lockDataDir(dir)).rejects.toThrow(/another server is starting on it/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    const lock = await lockDataDir(dir);
    await lock.release();
  });

  it('a lock held on another host is refused, naming the host', async () => {
    const dir = dataDir();
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'elsewhere', id: 'x' }));
    await expect(lockDataDir(dir)).rejects.toThrow(/held by process 1 on host elsewhere/);
  });
});
