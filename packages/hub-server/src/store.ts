import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fsyncDir, writeFileAtomic } from '@cliphub/core';
import { HubError, badRequest, repoNotFound, revisionNotFound } from './errors.js';
import { gitBlobOid, isCommitId, lfsPointer } from './git-oid.js';
import { LruCache } from './lru.js';
import { KeyedMutex } from './mutex.js';

/** One file in a commit. `oid` is the git blob sha1 (of the content, or of the LFS pointer). */
export interface FileEntry {
  oid: string;
  size: number;
  lfs?: { sha256: string; pointerSize: number };
}

/**
 * An immutable snapshot: every path of the repo at this commit. `files` is a Map (sorted by path), never
 * a plain object, so a path named `__proto__` or `toString` is a file like any other.
 */
export interface Commit {
  id: string;
  parents: string[];
  title: string;
  description: string;
  author: string;
  date: string;
  files: ReadonlyMap<string, FileEntry>;
}

export interface RepoMeta {
  private: boolean;
  createdAt: string;
}

/** What a commit changes, once regular files are stored as blobs. */
export type StoreOperation =
  | { kind: 'file'; path: string; oid: string; size: number }
  | { kind: 'lfsFile'; path: string; sha256: string; size: number }
  | { kind: 'deletedFile'; path: string }
  | { kind: 'deletedFolder'; path: string };

/** A commit as history walks see it: parents, title, date and the paths it changed (all, for a root). */
export interface HistoryEntry {
  id: string;
  parents: string[];
  title: string;
  date: string;
  changed: readonly string[];
}

export const DEFAULT_BRANCH = 'main';

const GITATTRIBUTES = [
  '*.safetensors filter=lfs diff=lfs merge=lfs -text',
  '*.bin filter=lfs diff=lfs merge=lfs -text',
  '*.pt filter=lfs diff=lfs merge=lfs -text',
  '*.pth filter=lfs diff=lfs merge=lfs -text',
  '*.ckpt filter=lfs diff=lfs merge=lfs -text',
  '*.onnx filter=lfs diff=lfs merge=lfs -text',
  '*.onnx_data filter=lfs diff=lfs merge=lfs -text',
  '*.msgpack filter=lfs diff=lfs merge=lfs -text',
  '*.h5 filter=lfs diff=lfs merge=lfs -text',
  '',
].join('\n');

/** Folders every repo has from its creation on; writes never create them, so a deleted repo stays deleted. */
const REPO_DIRS = ['blobs', 'commits', 'history', 'lfs'] as const;

/**
 * On-disk repositories under `root/repos/<ns>/<name>/`: repo.json, refs.json (branch -> commit),
 * commits/<id>.json (snapshots), history/<id>.json (what each commit changed), blobs/<git sha1>,
 * lfs/<aa>/<sha256>. Uploads are staged in `root/tmp/`, outside every repo. Objects are content-addressed
 * and written before the commit that names them; the ref moves last, by an atomic rename, so a crash
 * loses nothing committed.
 */
export class Store {
  readonly mutex = new KeyedMutex();
  /** Snapshots, weighed by their file count (about 200 bytes each). */
  private commits = new LruCache<string, Commit>(2_000_000, (c) => c.files.size + 1);
  private histories = new LruCache<string, HistoryEntry>(200_000, (h) => h.changed.length + 1);
  readonly tmpDir: string;

  constructor(
    readonly root: string,
    private readonly opts: { repoFiles: number } = { repoFiles: Infinity },
  ) {
    this.tmpDir = path.join(root, 'tmp');
  }

  /**
   * Prepares the data dir: clears what a crash left (staging, trash, temp uploads), moves aside repo
   * folders without repo.json (debris, never a repo), and gives older repos the folders writes expect.
   */
  async open(): Promise<void> {
    for (const d of ['staging', 'trash', 'tmp', 'uploads'])
      await rm(path.join(this.root, d), { recursive: true, force: true });
    await mkdir(path.join(this.root, 'repos'), { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
    const reposDir = path.join(this.root, 'repos');
    for (const ns of await readdir(reposDir).catch(() => [] as string[]))
      for (const name of await readdir(path.join(reposDir, ns)).catch(() => [] as string[])) {
        const dir = path.join(reposDir, ns, name);
        if (!(await exists(path.join(dir, 'repo.json')))) {
          await rm(dir, { recursive: true, force: true });
          continue;
        }
        await rm(path.join(dir, 'tmp'), { recursive: true, force: true }); // per-repo temp folders of older versions
        for (const sub of REPO_DIRS) await mkdirIn(dir, sub);
      }
  }

  repoDir(repo: string): string {
    return path.join(this.root, 'repos', ...repo.split('/'));
  }

  async meta(repo: string): Promise<RepoMeta | null> {
    try {
      return JSON.parse(await readFile(path.join(this.repoDir(repo), 'repo.json'), 'utf8')) as RepoMeta;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw e;
    }
  }

  /** Creates the repo with an initial commit holding .gitattributes; false when it already exists. */
  async create(repo: string, opts: { private: boolean; author: string }): Promise<boolean> {
    const final = this.repoDir(repo);
    if (await this.meta(repo)) return false;
    const staging = path.join(this.root, 'staging', randomBytes(8).toString('hex'));
    await mkdir(staging, { recursive: true });
    try {
      for (const sub of REPO_DIRS) await mkdir(path.join(staging, sub));
      const now = new Date().toISOString();
      const content = Buffer.from(GITATTRIBUTES);
      const oid = gitBlobOid(content);
      await writeFileAtomic(path.join(staging, 'blobs', oid), content);
      const files = new Map([['.gitattributes', { oid, size: content.length }]]);
      const commit = makeCommit({
        parents: [],
        title: 'initial commit',
        description: '',
        author: opts.author,
        date: now,
        files,
      });
      await this.writeCommit(staging, commit, [...files.keys()]);
      await writeFileAtomic(path.join(staging, 'refs.json'), JSON.stringify({ [DEFAULT_BRANCH]: commit.id }));
      await writeFileAtomic(
        path.join(staging, 'repo.json'),
        JSON.stringify({ private: opts.private, createdAt: now } satisfies RepoMeta),
      );
      await mkdir(path.dirname(final), { recursive: true });
      for (let attempt = 0; ; attempt++) {
        try {
          await rename(staging, final); // atomic publish; fails when another create won the race
          break;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
          // a folder without repo.json is debris (never a repo): move it aside once and publish over it
          if (attempt > 0 || (await this.meta(repo))) return false;
          await this.moveToTrash(final);
        }
      }
      await fsyncDir(path.dirname(final));
      return true;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async delete(repo: string): Promise<boolean> {
    if (!(await this.moveToTrash(this.repoDir(repo)))) return false;
    this.commits.deleteWhere((k) => k.startsWith(`${repo}@`));
    this.histories.deleteWhere((k) => k.startsWith(`${repo}@`));
    await rm(path.join(this.root, 'trash'), { recursive: true, force: true }).catch(() => undefined);
    return true;
  }

  private async moveToTrash(dir: string): Promise<boolean> {
    const trash = path.join(this.root, 'trash', randomBytes(8).toString('hex'));
    await mkdir(path.dirname(trash), { recursive: true });
    try {
      await rename(dir, trash);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  /** Branches (and `refs/pr/N`) to commit ids. */
  async refs(repo: string): Promise<Map<string, string>> {
    let text: string;
    try {
      text = await readFile(path.join(this.repoDir(repo), 'refs.json'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw repoNotFound(repo);
      throw e;
    }
    return new Map(Object.entries(JSON.parse(text) as Record<string, string>));
  }

  async commit(repo: string, id: string): Promise<Commit | null> {
    if (!isCommitId(id)) return null;
    const key = `${repo}@${id}`;
    const hit = this.commits.get(key);
    if (hit) return hit;
    let text: string;
    try {
      text = await readFile(path.join(this.repoDir(repo), 'commits', `${id}.json`), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const record = JSON.parse(text) as Omit<Commit, 'files'> & { files: Record<string, FileEntry> };
    // JSON.parse makes `__proto__` an own key, so Object.entries sees every path
    const c: Commit = { ...record, files: new Map(Object.entries(record.files)) };
    this.commits.set(key, c);
    return c;
  }

  /** A branch name, `HEAD` (the default branch), `refs/pr/N` or a 40-hex commit id -> the commit. */
  async resolve(repo: string, rev: string): Promise<Commit> {
    const refs = await this.refs(repo);
    const name = rev === 'HEAD' ? DEFAULT_BRANCH : rev;
    const id = refs.get(name) ?? (isCommitId(name) ? name : undefined);
    const c = id ? await this.commit(repo, id) : null;
    if (!c) throw revisionNotFound(repo, rev);
    return c;
  }

  blobPath(repo: string, entry: FileEntry): string {
    return entry.lfs ? this.lfsPath(repo, entry.lfs.sha256) : path.join(this.repoDir(repo), 'blobs', entry.oid);
  }

  lfsPath(repo: string, sha256: string): string {
    return path.join(this.repoDir(repo), 'lfs', sha256.slice(0, 2), sha256);
  }

  async hasLfs(repo: string, sha256: string, size?: number): Promise<boolean> {
    try {
      const s = await stat(this.lfsPath(repo, sha256));
      return size === undefined || s.size === size;
    } catch {
      return false;
    }
  }

  /** Stores a regular file's bytes under their git blob id `oid` (kept if already there); the repo must exist. */
  async putBlob(repo: string, oid: string, content: Buffer): Promise<void> {
    const file = path.join(this.repoDir(repo), 'blobs', oid);
    if (!(await exists(file))) {
      try {
        await writeFileAtomic(file, content); // never creates folders: blobs/ exists while the repo does
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw repoNotFound(repo);
        throw e;
      }
    }
  }

  /** A fresh temp path in the server's own temp folder (never inside a repo). */
  tmpFile(label: string): string {
    return path.join(this.tmpDir, `${label}-${randomBytes(8).toString('hex')}`);
  }

  /**
   * Streams `source` to a temp file, hashing as it goes; the object moves into the repo only when its
   * sha256 and size match what the client announced, and only while the repo exists.
   */
  async putLfs(
    repo: string,
    sha256: string,
    size: number,
    source: Readable | AsyncIterable<Uint8Array>,
  ): Promise<void> {
    const tmp = this.tmpFile('lfs');
    const hash = createHash('sha256');
    let seen = 0;
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Uint8Array>) {
          for await (const c of chunks) {
            seen += c.byteLength;
            if (seen > size)
              throw new HubError(
                400,
                'SizeMismatch',
                `Upload is larger than the announced ${size} bytes; re-run the upload`,
              );
            hash.update(c);
            yield c;
          }
        },
        createWriteStream(tmp, { flags: 'wx' }),
      );
      if (seen !== size)
        throw new HubError(
          400,
          'SizeMismatch',
          `Upload has ${seen} bytes but ${size} were announced; re-run the upload`,
        );
      const got = hash.digest('hex');
      if (got !== sha256)
        throw new HubError(
          400,
          'OidMismatch',
          `Uploaded content hashes to sha256 ${got}, not the announced oid ${sha256}; re-run the upload`,
        );
      const fh = await open(tmp, 'r');
      await fh.sync();
      await fh.close();
      const file = this.lfsPath(repo, sha256);
      if (!(await mkdirIn(this.repoDir(repo), 'lfs', sha256.slice(0, 2)))) throw repoNotFound(repo);
      await rename(tmp, file);
      await fsyncDir(path.dirname(file));
    } finally {
      await rm(tmp, { force: true });
    }
  }

  readStream(repo: string, entry: FileEntry, range?: { start: number; end: number }): Readable {
    return createReadStream(this.blobPath(repo, entry), range);
  }

  /**
   * Applies operations on top of `branch` and moves the ref, under the repo's mutex.
   * `parentCommit`, when given, must equal the branch head, so racing writers never overwrite each other.
   * With `createPr`, the commit lands on a new `refs/pr/N` branch started from `branch`.
   */
  async commitOps(
    repo: string,
    branch: string,
    ops: StoreOperation[],
    info: { title: string; description: string; author: string; parentCommit?: string; createPr?: boolean },
  ): Promise<{ commit: Commit; ref: string; prNumber?: number }> {
    return this.mutex.run(repo, async () => {
      if (!(await this.meta(repo))) throw repoNotFound(repo);
      const refs = await this.refs(repo);
      const head = refs.get(branch === 'HEAD' ? DEFAULT_BRANCH : branch);
      if (!head) throw revisionNotFound(repo, branch);
      if (info.parentCommit !== undefined && info.parentCommit !== head)
        throw new HubError(
          412,
          'ParentCommitMismatch',
          `parentCommit ${info.parentCommit} is not the head of '${branch}' (now ${head}); someone committed first: fetch the new head and retry`,
        );
      const parent = await this.commit(repo, head);
      if (!parent) throw new HubError(500, 'CorruptRepo', `Commit ${head} is missing from ${repo}`);
      const files = await this.applyOps(repo, branch, parent.files, ops);
      const changed = [...files.keys()].filter((p) => files.get(p)?.oid !== parent.files.get(p)?.oid);
      for (const p of parent.files.keys()) if (!files.has(p)) changed.push(p);
      const sorted = new Map([...files.keys()].sort().map((k) => [k, files.get(k) as FileEntry]));
      const commit = makeCommit({
        parents: [head],
        title: info.title,
        description: info.description,
        author: info.author,
        date: new Date().toISOString(),
        files: sorted,
      });
      await this.writeCommit(this.repoDir(repo), commit, changed.sort());
      let ref = branch === 'HEAD' ? DEFAULT_BRANCH : branch;
      let prNumber: number | undefined;
      if (info.createPr) {
        prNumber = [...refs.keys()].filter((r) => r.startsWith('refs/pr/')).length + 1;
        ref = `refs/pr/${prNumber}`;
      }
      refs.set(ref, commit.id);
      await this.writeRefs(repo, refs);
      return { commit, ref, prNumber };
    });
  }

  /** The snapshot after `ops`: linear in the files touched, plus one pass for the file/folder check. */
  private async applyOps(
    repo: string,
    branch: string,
    base: ReadonlyMap<string, FileEntry>,
    ops: StoreOperation[],
  ): Promise<Map<string, FileEntry>> {
    const files = new Map(base);
    // folder -> every file below it, built only when a commit deletes folders
    let below: Map<string, Set<string>> | null = null;
    const link = (p: string, add: boolean): void => {
      if (!below) return;
      for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) {
        const dir = p.slice(0, i);
        let set = below.get(dir);
        if (add) {
          if (!set) below.set(dir, (set = new Set()));
          set.add(p);
        } else set?.delete(p);
      }
    };
    const put = (p: string, e: FileEntry): void => {
      if (!files.has(p)) link(p, true);
      files.set(p, e);
    };
    for (const op of ops) {
      if (op.kind === 'file') {
        put(op.path, { oid: op.oid, size: op.size });
      } else if (op.kind === 'lfsFile') {
        if (!(await this.hasLfs(repo, op.sha256, op.size)))
          throw new HubError(
            422,
            'LfsObjectMissing',
            `LFS object ${op.sha256} for '${op.path}' was never uploaded; upload it through the LFS batch API first`,
          );
        const ptr = Buffer.from(lfsPointer(op.sha256, op.size));
        put(op.path, { oid: gitBlobOid(ptr), size: op.size, lfs: { sha256: op.sha256, pointerSize: ptr.length } });
      } else if (op.kind === 'deletedFile') {
        if (!files.has(op.path))
          throw new HubError(404, 'EntryNotFound', `Cannot delete '${op.path}': no such file on '${branch}'`);
        files.delete(op.path);
        link(op.path, false);
      } else {
        if (!below) {
          below = new Map();
          for (const p of files.keys()) link(p, true);
        }
        for (const p of [...(below.get(op.path) ?? [])]) {
          files.delete(p);
          link(p, false);
        }
      }
    }
    if (files.size > this.opts.repoFiles)
      throw new HubError(
        413,
        'TooManyFiles',
        `This commit would leave ${files.size} files in ${repo}, over the server limit of ${this.opts.repoFiles}`,
      );
    for (const p of files.keys()) {
      // a path cannot be both a file and a folder
      for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) {
        const dir = p.slice(0, i);
        if (files.has(dir)) throw badRequest(`'${dir}' is a file, so '${p}' cannot be inside it; delete one of them`);
      }
    }
    return files;
  }

  private async writeCommit(repoDir: string, commit: Commit, changed: string[]): Promise<void> {
    const history = { parents: commit.parents, title: commit.title, date: commit.date, changed };
    await writeFileAtomic(path.join(repoDir, 'history', `${commit.id}.json`), JSON.stringify(history));
    await writeFileAtomic(path.join(repoDir, 'commits', `${commit.id}.json`), JSON.stringify(commitRecord(commit)));
  }

  private async writeRefs(repo: string, refs: Map<string, string>): Promise<void> {
    await writeFileAtomic(path.join(this.repoDir(repo), 'refs.json'), JSON.stringify(Object.fromEntries(refs)));
  }

  async createBranch(repo: string, branch: string, from: string): Promise<void> {
    await this.mutex.run(repo, async () => {
      const refs = await this.refs(repo);
      if (refs.has(branch)) throw new HubError(409, 'BranchExists', `Branch '${branch}' already exists`);
      const c = await this.resolve(repo, from);
      refs.set(branch, c.id);
      await this.writeRefs(repo, refs);
    });
  }

  /**
   * What commit `id` changed, from its history file; commits written before history files existed are
   * diffed against their parent once and remembered.
   */
  async history(repo: string, id: string): Promise<HistoryEntry | null> {
    const key = `${repo}@${id}`;
    const hit = this.histories.get(key);
    if (hit) return hit;
    let entry: HistoryEntry | null = null;
    try {
      const h = JSON.parse(await readFile(path.join(this.repoDir(repo), 'history', `${id}.json`), 'utf8')) as Omit<
        HistoryEntry,
        'id'
      >;
      entry = { id, parents: h.parents, title: h.title, date: h.date, changed: h.changed };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      const c = await this.commit(repo, id);
      if (!c) return null;
      const parent = c.parents[0] ? await this.commit(repo, c.parents[0]) : null;
      const changed: string[] = [];
      for (const [p, e2] of c.files) if (parent?.files.get(p)?.oid !== e2.oid) changed.push(p);
      if (parent) for (const p of parent.files.keys()) if (!c.files.has(p)) changed.push(p);
      entry = { id, parents: c.parents, title: c.title, date: c.date, changed };
    }
    this.histories.set(key, entry);
    return entry;
  }
}

/** Creates `base/a/b/...` one level at a time, never `base` itself: false when `base` is gone. */
async function mkdirIn(base: string, ...segments: string[]): Promise<boolean> {
  let dir = base;
  for (const s of segments) {
    dir = path.join(dir, s);
    try {
      await mkdir(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return false;
      if (code !== 'EEXIST') throw e;
    }
  }
  return true;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** The on-disk form of a commit: `files` as a JSON object in path order (Object.fromEntries keeps `__proto__` an own key). */
function commitRecord(c: Omit<Commit, 'id'> & { id?: string }): Record<string, unknown> {
  const { files, ...rest } = c;
  return { ...rest, files: Object.fromEntries(files) };
}

/** The commit id hashes the whole snapshot, its parents, message and date. */
export function makeCommit(c: Omit<Commit, 'id'>): Commit {
  const id = createHash('sha1')
    .update(`commit\0${JSON.stringify(commitRecord(c))}`)
    .digest('hex');
  return { id, ...c };
}
