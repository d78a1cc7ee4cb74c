import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HubError, badRequest, repoNotFound, revisionNotFound } from './errors.js';
import { fsyncDir, moveIntoPlace, tempPath, writeFileAtomic } from './fs-atomic.js';
import { gitBlobOid, isCommitId, lfsPointer } from './git-oid.js';
import { KeyedMutex } from './mutex.js';

/** One file in a commit. `oid` is the git blob sha1 (of the content, or of the LFS pointer). */
export interface FileEntry {
  oid: string;
  size: number;
  lfs?: { sha256: string; pointerSize: number };
}

/** An immutable snapshot: every path of the repo at this commit. */
export interface Commit {
  id: string;
  parents: string[];
  title: string;
  description: string;
  author: string;
  date: string;
  files: Record<string, FileEntry>;
}

export interface RepoMeta {
  private: boolean;
  createdAt: string;
}

export type Operation =
  | { kind: 'file'; path: string; content: Buffer }
  | { kind: 'lfsFile'; path: string; sha256: string; size: number }
  | { kind: 'deletedFile'; path: string }
  | { kind: 'deletedFolder'; path: string };

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

/**
 * On-disk repositories under `root/repos/<ns>/<name>/`:
 * repo.json, refs.json (branch -> commit), commits/<id>.json, blobs/<git sha1>, lfs/<sha256>, tmp/.
 * Objects are content-addressed and written before the commit that names them; the ref moves last,
 * by an atomic rename, so a crash loses nothing committed.
 */
export class Store {
  readonly mutex = new KeyedMutex();
  private commitCache = new Map<string, Commit>();

  constructor(readonly root: string) {}

  repoDir(repo: string): string {
    return path.join(this.root, 'repos', ...repo.split('/'));
  }

  async meta(repo: string): Promise<RepoMeta | null> {
    try {
      return JSON.parse(await readFile(path.join(this.repoDir(repo), 'repo.json'), 'utf8')) as RepoMeta;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
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
      const now = new Date().toISOString();
      const content = Buffer.from(GITATTRIBUTES);
      const oid = gitBlobOid(content);
      await writeFileAtomic(path.join(staging, 'blobs', oid), content);
      const commit = makeCommit({ parents: [], title: 'initial commit', description: '', author: opts.author, date: now, files: { '.gitattributes': { oid, size: content.length } } });
      await writeFileAtomic(path.join(staging, 'commits', `${commit.id}.json`), JSON.stringify(commit));
      await writeFileAtomic(path.join(staging, 'refs.json'), JSON.stringify({ [DEFAULT_BRANCH]: commit.id }));
      await writeFileAtomic(path.join(staging, 'repo.json'), JSON.stringify({ private: opts.private, createdAt: now } satisfies RepoMeta));
      await mkdir(path.dirname(final), { recursive: true });
      try {
        await rename(staging, final); // atomic publish; fails when another create won the race
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
        throw e;
      }
      await fsyncDir(path.dirname(final));
      return true;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async delete(repo: string): Promise<boolean> {
    const dir = this.repoDir(repo);
    const trash = path.join(this.root, 'trash', randomBytes(8).toString('hex'));
    await mkdir(path.dirname(trash), { recursive: true });
    try {
      await rename(dir, trash);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    for (const k of this.commitCache.keys()) if (k.startsWith(`${repo}@`)) this.commitCache.delete(k);
    await rm(trash, { recursive: true, force: true });
    return true;
  }

  async refs(repo: string): Promise<Record<string, string>> {
    return JSON.parse(await readFile(path.join(this.repoDir(repo), 'refs.json'), 'utf8')) as Record<string, string>;
  }

  async commit(repo: string, id: string): Promise<Commit | null> {
    const key = `${repo}@${id}`;
    const hit = this.commitCache.get(key);
    if (hit) return hit;
    try {
      const c = JSON.parse(await readFile(path.join(this.repoDir(repo), 'commits', `${id}.json`), 'utf8')) as Commit;
      this.commitCache.set(key, c);
      return c;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  /** A branch name, `HEAD` (the default branch) or a 40-hex commit id -> the commit. */
  async resolve(repo: string, rev: string): Promise<Commit> {
    const refs = await this.refs(repo);
    const name = rev === 'HEAD' ? DEFAULT_BRANCH : rev;
    const id = refs[name] ?? (isCommitId(name) ? name : undefined);
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

  tmpFile(repo: string, label: string): string {
    return path.join(this.repoDir(repo), 'tmp', `${label}-${randomBytes(8).toString('hex')}`);
  }

  /**
   * Streams `source` into the LFS store, hashing as it goes; the object appears only when its
   * sha256 and size match what the client announced.
   */
  async putLfs(repo: string, sha256: string, size: number, source: Readable | AsyncIterable<Uint8Array>): Promise<void> {
    const tmp = this.tmpFile(repo, 'lfs');
    await mkdir(path.dirname(tmp), { recursive: true });
    const hash = createHash('sha256');
    let seen = 0;
    try {
      const out = createWriteStream(tmp, { flags: 'wx' });
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Uint8Array>) {
          for await (const c of chunks) {
            seen += c.byteLength;
            if (seen > size) throw new HubError(400, 'SizeMismatch', `Upload is larger than the announced ${size} bytes; re-run the upload`);
            hash.update(c);
            yield c;
          }
        },
        out,
      );
      if (seen !== size) throw new HubError(400, 'SizeMismatch', `Upload has ${seen} bytes but ${size} were announced; re-run the upload`);
      const got = hash.digest('hex');
      if (got !== sha256) throw new HubError(400, 'OidMismatch', `Uploaded content hashes to sha256 ${got}, not the announced oid ${sha256}; re-run the upload`);
      const fh = await open(tmp, 'r');
      await fh.sync();
      await fh.close();
      await moveIntoPlace(tmp, this.lfsPath(repo, sha256));
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
    ops: Operation[],
    info: { title: string; description: string; author: string; parentCommit?: string; createPr?: boolean },
  ): Promise<{ commit: Commit; ref: string; prNumber?: number }> {
    return this.mutex.run(repo, async () => {
      if (!(await this.meta(repo))) throw repoNotFound(repo);
      const refs = await this.refs(repo);
      const head = refs[branch === 'HEAD' ? DEFAULT_BRANCH : branch];
      if (!head) throw revisionNotFound(repo, branch);
      if (info.parentCommit !== undefined && info.parentCommit !== head)
        throw new HubError(
          412,
          'ParentCommitMismatch',
          `parentCommit ${info.parentCommit} is not the head of '${branch}' (now ${head}); someone committed first: fetch the new head and retry`,
        );
      const parent = await this.commit(repo, head);
      if (!parent) throw new HubError(500, 'CorruptRepo', `Commit ${head} is missing from ${repo}`);
      const files: Record<string, FileEntry> = { ...parent.files };
      for (const op of ops) {
        if (op.kind === 'file') {
          const oid = gitBlobOid(op.content);
          const p = path.join(this.repoDir(repo), 'blobs', oid);
          if (!(await exists(p))) await writeFileAtomic(p, op.content);
          files[op.path] = { oid, size: op.content.length };
        } else if (op.kind === 'lfsFile') {
          if (!(await this.hasLfs(repo, op.sha256, op.size)))
            throw new HubError(422, 'LfsObjectMissing', `LFS object ${op.sha256} for '${op.path}' was never uploaded; upload it through the LFS batch API first`);
          const ptr = Buffer.from(lfsPointer(op.sha256, op.size));
          files[op.path] = { oid: gitBlobOid(ptr), size: op.size, lfs: { sha256: op.sha256, pointerSize: ptr.length } };
        } else if (op.kind === 'deletedFile') {
          if (!files[op.path]) throw new HubError(404, 'EntryNotFound', `Cannot delete '${op.path}': no such file on '${branch}'`);
          delete files[op.path];
        } else {
          const prefix = `${op.path.replace(/\/$/, '')}/`;
          for (const k of Object.keys(files)) if (k.startsWith(prefix)) delete files[k];
        }
      }
      for (const p of Object.keys(files)) {
        // a path cannot be both a file and a folder
        const parts = p.split('/');
        for (let i = 1; i < parts.length; i++) {
          const dir = parts.slice(0, i).join('/');
          if (files[dir]) throw badRequest(`'${dir}' is a file, so '${p}' cannot be inside it; delete one of them`);
        }
      }
      const sorted = Object.fromEntries(Object.keys(files).sort().map((k) => [k, files[k] as FileEntry]));
      const commit = makeCommit({ parents: [head], title: info.title, description: info.description, author: info.author, date: new Date().toISOString(), files: sorted });
      await writeFileAtomic(path.join(this.repoDir(repo), 'commits', `${commit.id}.json`), JSON.stringify(commit));
      let ref = branch === 'HEAD' ? DEFAULT_BRANCH : branch;
      let prNumber: number | undefined;
      if (info.createPr) {
        prNumber = Object.keys(refs).filter((r) => r.startsWith('refs/pr/')).length + 1;
        ref = `refs/pr/${prNumber}`;
      }
      await writeFileAtomic(path.join(this.repoDir(repo), 'refs.json'), JSON.stringify({ ...refs, [ref]: commit.id }));
      return { commit, ref, prNumber };
    });
  }

  async createBranch(repo: string, branch: string, from: string): Promise<void> {
    await this.mutex.run(repo, async () => {
      const refs = await this.refs(repo);
      if (refs[branch]) throw new HubError(409, 'BranchExists', `Branch '${branch}' already exists`);
      const c = await this.resolve(repo, from);
      await writeFileAtomic(path.join(this.repoDir(repo), 'refs.json'), JSON.stringify({ ...refs, [branch]: c.id }));
    });
  }

  /** The newest commit at or before `from` that changed `p` (for `expand=true`). */
  async lastCommitFor(repo: string, from: Commit, p: string, isDir: boolean): Promise<Commit> {
    const sig = (c: Commit): string =>
      isDir
        ? Object.entries(c.files).filter(([k]) => k.startsWith(`${p}/`)).map(([k, v]) => `${k}:${v.oid}`).join('\n')
        : (c.files[p]?.oid ?? '');
    let cur = from;
    const want = sig(cur);
    for (let i = 0; i < 10_000; i++) {
      const parentId = cur.parents[0];
      const parent = parentId ? await this.commit(repo, parentId) : null;
      if (!parent || sig(parent) !== want) return cur;
      cur = parent;
    }
    return cur;
  }

  /** Leftover temp files from a crash are garbage; clear them at startup. */
  async sweepTemp(): Promise<void> {
    await rm(path.join(this.root, 'staging'), { recursive: true, force: true });
    await rm(path.join(this.root, 'trash'), { recursive: true, force: true });
    const reposDir = path.join(this.root, 'repos');
    for (const ns of await readdir(reposDir).catch(() => [] as string[]))
      for (const name of await readdir(path.join(reposDir, ns)).catch(() => [] as string[]))
        await rm(path.join(reposDir, ns, name, 'tmp'), { recursive: true, force: true });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** The commit id hashes the whole snapshot, its parents, message and date. */
export function makeCommit(c: Omit<Commit, 'id'>): Commit {
  const id = createHash('sha1').update(`commit\0${JSON.stringify(c)}`).digest('hex');
  return { id, ...c };
}

export { tempPath };
