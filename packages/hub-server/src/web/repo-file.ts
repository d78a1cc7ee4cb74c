import { open } from 'node:fs/promises';
import type { RouteContext } from '../router.js';
import type { FileEntry } from '../store.js';

/** Reads a small regular file of a commit (a card, a summary) up to `limit` bytes; null when it is larger or LFS. */
export async function readSmallFile(
  c: RouteContext,
  entry: FileEntry | undefined,
  limit: number,
): Promise<string | null> {
  if (!entry || entry.lfs || entry.size > limit) return null;
  const fh = await open(c.hub.store.blobPath(c.repo, entry), 'r');
  try {
    const buf = Buffer.alloc(entry.size);
    const { bytesRead } = await fh.read(buf, 0, entry.size, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}
