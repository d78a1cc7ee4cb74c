import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { HubConfigError } from './errors.js';

/** The lock file's name inside the data dir. */
export const LOCK_FILE = 'cliphub-hub.lock';
/** A lock file without readable content is another server starting, unless it is older than this. */
const UNREADABLE_GRACE_MS = 10_000;
/** A takeover marker older than this was left by a process that died mid-takeover. */
const TAKEOVER_GRACE_MS = 10_000;

interface LockContent {
  pid: number;
  host: string;
  id: string;
  startedAt: string;
}

export interface DataDirLock {
  file: string;
  release(): Promise<void>;
}

/**
 * Takes the data dir's lock: `cliphub-hub.lock`, created exclusively, naming this process. Commits are
 * serialized in memory, so two servers on one data dir would lose commits; a second server refuses to
 * start instead. A lock left by a dead process on this host is taken over: under a takeover marker
 * (itself exclusive), the lock is re-read, confirmed unchanged and replaced, so two servers racing for a
 * stale lock cannot both win.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const file = path.join(dataDir, LOCK_FILE);
  const mine: LockContent = {
    pid: process.pid,
    host: hostname(),
    id: randomBytes(8).toString('hex'),
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 8; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
    if (await createExclusive(file, JSON.stringify(mine))) return handle(file, mine);
    const held = await readLock(file);
    if (held === 'gone') continue;
    if (held === 'unreadable') {
      const age = await ageMs(file);
      if (age !== null && age < UNREADABLE_GRACE_MS) throw locked(file, 'another server is starting on it right now');
      await takeOver(file, null);
      continue;
    }
    if (held.host !== mine.host)
      throw locked(
        file,
        `it is held by process ${held.pid} on host ${held.host}, whose liveness cannot be checked from here`,
      );
    if (isAlive(held.pid)) throw locked(file, `it is in use by process ${held.pid}`);
    await takeOver(file, held);
  }
  throw locked(file, 'the lock kept changing while this server tried to take it');
}

function locked(file: string, why: string): HubConfigError {
  return new HubConfigError(
    'DATA_DIR_LOCKED',
    `data dir ${path.dirname(file)} is locked: ${why}; stop that server or use another --data (delete ${file} only if no cliphub server uses it)`,
  );
}

function handle(file: string, mine: LockContent): DataDirLock {
  let released = false;
  return {
    file,
    async release() {
      if (released) return;
      released = true;
      const held = await readLock(file);
      if (typeof held === 'object' && held.id === mine.id) await unlink(file).catch(() => undefined);
    },
  };
}

async function createExclusive(file: string, content: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(file, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return true;
}

async function readLock(file: string): Promise<LockContent | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw e;
  }
  try {
    const v = JSON.parse(text) as Partial<LockContent>;
    if (Number.isSafeInteger(v.pid) && typeof v.host === 'string' && typeof v.id === 'string') return v as LockContent;
  } catch {
    // fall through: torn or foreign content
  }
  return 'unreadable';
}

async function ageMs(file: string): Promise<number | null> {
  try {
    return Date.now() - (await stat(file)).mtimeMs;
  } catch {
    return null;
  }
}

/** Signal 0 probes a pid: EPERM means it exists under another user, ESRCH that it is gone. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes a stale lock, but only while holding the takeover marker and only if it is still the one judged stale. */
async function takeOver(file: string, stale: LockContent | null): Promise<void> {
  const marker = `${file}.takeover`;
  if (!(await createExclusive(marker, String(process.pid)))) {
    const age = await ageMs(marker);
    if (age !== null && age > TAKEOVER_GRACE_MS) await unlink(marker).catch(() => undefined);
    return; // someone else is taking over; the caller retries
  }
  try {
    const now = await readLock(file);
    const same = stale === null ? now === 'unreadable' : typeof now === 'object' && now.id === stale.id;
    if (same) await unlink(file).catch(() => undefined);
  } finally {
    await unlink(marker).catch(() => undefined);
  }
}
