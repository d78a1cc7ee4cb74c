import { open, rename, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/** fsyncs a directory so a rename inside it survives a crash (best effort where the OS refuses). */
export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  } finally {
    await fh?.close();
  }
}

/** A temp name beside `file`, so the final rename stays on one filesystem. */
export function tempPath(file: string): string {
  return path.join(path.dirname(file), `.tmp-${path.basename(file)}-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** Writes temp + fsync + rename + fsync(dir): readers see the old or the new file, never a torn one. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = tempPath(file);
  const fh = await open(tmp, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  await fsyncDir(path.dirname(file));
}

/** Moves an already-fsynced temp file into place atomically. */
export async function moveIntoPlace(tmp: string, file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await rename(tmp, file);
  await fsyncDir(path.dirname(file));
}
