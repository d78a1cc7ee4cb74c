import { createHash } from 'node:crypto';
import type { Commit, FileEntry } from './store.js';

export interface TreeItem {
  type: 'file' | 'directory';
  path: string;
  oid: string;
  size: number;
  entry?: FileEntry;
}

/** A stable id for a folder: hash of what is under it (clients only need it to be present and stable). */
function dirOid(commit: Commit, dir: string): string {
  const h = createHash('sha1').update(`tree\0${dir}\0`);
  for (const [p, e] of Object.entries(commit.files)) if (p.startsWith(`${dir}/`)) h.update(`${p}\0${e.oid}\n`);
  return h.digest('hex');
}

/**
 * The entries under `dir` ('' = root) at `commit`, sorted by path: immediate children, or with
 * `recursive` every file and folder below. null when `dir` is not a folder.
 */
export function listTree(commit: Commit, dir: string, recursive: boolean): TreeItem[] | null {
  const prefix = dir ? `${dir}/` : '';
  const files: TreeItem[] = [];
  const dirs = new Set<string>();
  for (const [p, e] of Object.entries(commit.files)) {
    if (!p.startsWith(prefix)) continue;
    const rest = p.slice(prefix.length).split('/');
    if (recursive) {
      for (let i = 1; i < rest.length; i++) dirs.add(prefix + rest.slice(0, i).join('/'));
      files.push({ type: 'file', path: p, oid: e.oid, size: e.size, entry: e });
    } else if (rest.length === 1) {
      files.push({ type: 'file', path: p, oid: e.oid, size: e.size, entry: e });
    } else {
      dirs.add(prefix + rest[0]);
    }
  }
  if (dir && files.length === 0 && dirs.size === 0) return null;
  const items = [...files, ...[...dirs].map((d): TreeItem => ({ type: 'directory', path: d, oid: dirOid(commit, d), size: 0 }))];
  return items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The tree item for one path (file or folder), or null. */
export function pathInfo(commit: Commit, p: string): TreeItem | null {
  const e = commit.files[p];
  if (e) return { type: 'file', path: p, oid: e.oid, size: e.size, entry: e };
  if (Object.keys(commit.files).some((k) => k.startsWith(`${p}/`))) return { type: 'directory', path: p, oid: dirOid(commit, p), size: 0 };
  return null;
}
