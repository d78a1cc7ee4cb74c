import { describe, expect, it } from 'vitest';
import type { FileEntry } from './store.js';
import { TreeIndex, type TreeItem } from './tree-index.js';

/** The listing rules, written the slow obvious way (what the server did before the index). */
function reference(files: Map<string, FileEntry>, dir: string, recursive: boolean): string[] | null {
  const prefix = dir ? `${dir}/` : '';
  const out = new Set<string>();
  for (const p of files.keys()) {
    if (!p.startsWith(prefix)) continue;
    const rest = p.slice(prefix.length).split('/');
    if (recursive) {
      for (let i = 1; i < rest.length; i++) out.add(`d:${prefix}${rest.slice(0, i).join('/')}`);
      out.add(`f:${p}`);
    } else out.add(rest.length === 1 ? `f:${p}` : `d:${prefix}${rest[0]}`);
  }
  if (dir && out.size === 0) return null;
  return [...out].sort((a, b) => (a.slice(2) < b.slice(2) ? -1 : 1));
}

function randomFiles(seed: number, n: number): Map<string, FileEntry> {
  let x = seed;
  const rnd = (k: number): number => ((x = (x * 1103515245 + 12345) >>> 0) >>> 8) % k;
  const names = ['a', 'b', 'a.txt', 'a-b', 'A', '__proto__', 'toString', 'ü', 'z0', 'a0'];
  const files = new Map<string, FileEntry>();
  while (files.size < n) {
    // folders from `names`, files with a suffix no folder has, so no path is both a file and a folder
    const folders = Array.from({ length: rnd(4) }, () => names[rnd(names.length)]);
    const p = [...folders, `${names[rnd(names.length)]}.f`].join('/');
    files.set(p, { oid: String(files.size).padStart(40, '0'), size: files.size });
  }
  return files;
}

const show = (items: TreeItem[]): string[] => items.map((i) => `${i.type === 'file' ? 'f' : 'd'}:${i.path}`);

describe('TreeIndex', () => {
  it('lists exactly what the naive listing does, for every folder, recursive or not, in pages', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const files = randomFiles(seed, 40);
      const index = new TreeIndex(files);
      const dirs = new Set(['']);
      for (const p of files.keys())
        for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) dirs.add(p.slice(0, i));
      for (const dir of [...dirs, 'nope', 'a.f'])
        for (const recursive of [false, true]) {
          const want = reference(files, dir, recursive);
          const listing = index.list(dir, recursive);
          if (want === null) {
            expect(listing, dir).toBeNull();
            continue;
          }
          expect(show(listing!.slice(0, listing!.length)), `${seed} ${dir} ${recursive}`).toEqual(want);
          const paged = [...show(listing!.slice(0, 3)), ...show(listing!.slice(3, 1e9))];
          expect(paged).toEqual(want);
        }
    }
  });

  it('gives files their blob oid and folders a stable oid that changes with their content only', () => {
    const files = new Map<string, FileEntry>([
      ['x/a', { oid: '1'.repeat(40), size: 1 }],
      ['x/b/c', { oid: '2'.repeat(40), size: 1 }],
      ['y/a', { oid: '1'.repeat(40), size: 1 }],
    ]);
    const one = new TreeIndex(files);
    const oid = (ix: TreeIndex, p: string): string => ix.oid(ix.item(p) as TreeItem);
    expect(oid(one, 'x/a')).toBe('1'.repeat(40));
    expect(oid(one, 'x')).toMatch(/^[0-9a-f]{40}$/);
    expect(oid(one, 'x')).not.toBe(oid(one, 'y'));
    const changed = new TreeIndex(new Map([...files, ['y/a', { oid: '3'.repeat(40), size: 1 }]]));
    expect(oid(changed, 'x')).toBe(oid(one, 'x'));
    expect(oid(changed, 'y')).not.toBe(oid(one, 'y'));
  });

  it('answers prototype names as ordinary paths', () => {
    const index = new TreeIndex(new Map([['__proto__/toString', { oid: '1'.repeat(40), size: 1 }]]));
    expect(index.item('__proto__')?.type).toBe('directory');
    expect(index.item('toString')).toBeNull();
    expect(index.item('hasOwnProperty')).toBeNull();
    expect(index.list('constructor', false)).toBeNull();
  });
});
