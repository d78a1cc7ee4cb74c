import { createHash } from 'node:crypto';
import type { FileEntry } from './store.js';

export interface TreeItem {
  type: 'file' | 'directory';
  path: string;
  /** Set for files. */
  entry?: FileEntry;
}

/** A listing, sliced page by page without materialising the rest. */
export interface TreeListing {
  length: number;
  slice(start: number, end: number): TreeItem[];
}

/**
 * Folder structure of one commit, built in one pass over its files (O(n log n), cached per commit):
 * every folder's sorted children, and all items in path order so a recursive listing of a folder is one
 * contiguous range. Folder oids are computed on demand (a page at a time), each from its children's oids
 * and memoised, so all of them together cost one pass. Lookups go through Map and Set only.
 */
export class TreeIndex {
  private readonly all: string[];
  private readonly dirs = new Set<string>();
  private readonly children = new Map<string, string[]>([['', []]]);
  private readonly dirOids = new Map<string, string>();

  constructor(private readonly files: ReadonlyMap<string, FileEntry>) {
    const childrenOf = (dir: string): string[] => {
      let list = this.children.get(dir);
      if (!list) this.children.set(dir, (list = []));
      return list;
    };
    for (const p of files.keys()) {
      let parent = '';
      for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) {
        const dir = p.slice(0, i);
        if (!this.dirs.has(dir)) {
          this.dirs.add(dir);
          childrenOf(parent).push(dir);
        }
        parent = dir;
      }
      childrenOf(parent).push(p);
    }
    for (const list of this.children.values()) list.sort(byCodeUnits);
    this.all = [...files.keys(), ...this.dirs].sort(byCodeUnits);
  }

  /** How many entries the index holds (its cache weight). */
  get size(): number {
    return this.all.length;
  }

  item(p: string): TreeItem | null {
    const entry = this.files.get(p);
    if (entry) return { type: 'file', path: p, entry };
    if (this.dirs.has(p)) return { type: 'directory', path: p };
    return null;
  }

  /** The entries under `dir` ('' = root): its children, or with `recursive` everything below. null when `dir` is not a folder. */
  list(dir: string, recursive: boolean): TreeListing | null {
    if (dir && !this.dirs.has(dir)) return null;
    const toItem = (p: string): TreeItem => this.item(p) as TreeItem;
    if (!recursive) {
      const names = this.children.get(dir) ?? [];
      return { length: names.length, slice: (start, end) => names.slice(start, end).map(toItem) };
    }
    // everything below "d/" sorts in ["d/", "d0"): '0' is the code unit after '/'
    const lo = dir ? lowerBound(this.all, `${dir}/`) : 0;
    const hi = dir ? lowerBound(this.all, `${dir}0`) : this.all.length;
    return {
      length: hi - lo,
      slice: (start, end) => this.all.slice(lo + start, Math.min(hi, lo + end)).map(toItem),
    };
  }

  /** A file's git blob oid; a folder's oid hashes its children's names and oids (stable, like a git tree). */
  oid(item: TreeItem): string {
    if (item.entry) return item.entry.oid;
    const hit = this.dirOids.get(item.path);
    if (hit) return hit;
    const hash = createHash('sha1').update('tree\0');
    for (const child of this.children.get(item.path) ?? []) {
      const c = this.item(child) as TreeItem;
      hash.update(`${c.type}\0${child}\0${this.oid(c)}\n`);
    }
    const oid = hash.digest('hex');
    this.dirOids.set(item.path, oid);
    return oid;
  }
}

/** Plain string order (UTF-16 code units), the order the Hub and this server have always listed in. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function lowerBound(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
