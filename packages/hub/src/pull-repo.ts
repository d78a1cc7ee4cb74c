import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, symlink, writeFile, readlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { listFiles, modelInfo } from '@huggingface/hub';
import { HubClientError, wrapHubError } from './errors.js';
import { parseRepoId } from './repo-id.js';
import { defaultCacheDir } from './token.js';

export interface PullRepoOptions {
  /** ORG/NAME or hf-hub:ORG/NAME */
  repo: string;
  /** Branch, tag, HEAD or commit; default main. */
  revision?: string;
  hubUrl: string;
  token?: string;
  /** huggingface_hub's cache root; default HF_HUB_CACHE or ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Only these files (repo paths); default every file. Absent ones are simply not in the result. */
  paths?: readonly string[];
  onProgress?: (p: { bytesDone: number; bytesTotal: number; path: string }) => void;
  fetch?: typeof fetch;
}

export interface PullResult {
  repo: string;
  commit: string;
  /** cacheDir/models--ORG--NAME/snapshots/<commit> */
  snapshotDir: string;
  files: Array<{ path: string; size: number; downloaded: boolean }>;
  downloadedBytes: number;
}

/**
 * Downloads a revision into huggingface_hub's cache layout, shared with Python:
 * models--ORG--NAME/blobs/<etag> (sha256 for LFS, git oid otherwise), snapshots/<commit>/<path>
 * as relative symlinks to the blobs, and refs/<revision> holding the commit. Blobs already in
 * the cache are reused; each download is checked against its oid before it is kept.
 */
export async function pullRepo(o: PullRepoOptions): Promise<PullResult> {
  const repo = parseRepoId(o.repo);
  const revision = o.revision ?? 'main';
  const hubUrl = o.hubUrl.replace(/\/$/, '');
  const common = { hubUrl, accessToken: o.token, ...(o.fetch && { fetch: o.fetch }) };
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw wrapHubError(e, what, o.token);
    }
  };
  const info = await step(`reading ${repo}@${revision}`, () =>
    modelInfo({ name: repo, revision, additionalFields: ['sha'], ...common }),
  );
  const commit = (info as { sha?: string }).sha;
  if (!commit || !/^[0-9a-f]{40}$/.test(commit))
    throw new HubClientError('NO_COMMIT', `The Hub did not report a commit for ${repo}@${revision}`, 1);
  const entries: Array<{ path: string; size: number; etag: string; lfs: boolean }> = [];
  await step('listing files', async () => {
    for await (const f of listFiles({ repo, revision: commit, recursive: true, ...common }))
      if (f.type === 'file' && (!o.paths || o.paths.includes(f.path)))
        entries.push({ path: f.path, size: f.size, etag: f.lfs ? f.lfs.oid : (f.oid ?? ''), lfs: !!f.lfs });
  });

  const storage = path.join(o.cacheDir ?? defaultCacheDir(), `models--${repo.replace('/', '--')}`);
  const snapshotDir = path.join(storage, 'snapshots', commit);
  await mkdir(path.join(storage, 'blobs'), { recursive: true });
  const total = entries.reduce((s, e) => s + e.size, 0);
  let done = 0;
  const files: PullResult['files'] = [];
  let downloadedBytes = 0;
  for (const e of entries) {
    // the oid becomes a file name in blobs/: only a git sha1 (regular) or sha256 (LFS) in lowercase hex
    if (!(e.lfs ? /^[0-9a-f]{64}$/ : /^[0-9a-f]{40}$/).test(e.etag))
      throw new HubClientError(
        'UNSAFE_OID',
        `The Hub listed '${e.path}' with an oid that is not ${e.lfs ? '64' : '40'} lowercase hex characters; refusing to use it as a cache file name`,
        1,
      );
    const target = path.resolve(snapshotDir, e.path);
    if (!target.startsWith(snapshotDir + path.sep))
      throw new HubClientError(
        'UNSAFE_PATH',
        `The Hub listed an unsafe path '${e.path}'; refusing to write outside the cache`,
        1,
      );
    const blob = path.join(storage, 'blobs', e.etag);
    const have = await stat(blob).then(
      (s) => s.size === e.size,
      () => false,
    );
    if (!have) {
      await step(`downloading ${e.path}`, () =>
        downloadBlob(
          `${hubUrl}/${repo}/resolve/${commit}/${e.path.split('/').map(encodeURIComponent).join('/')}`,
          blob,
          e,
          o,
          (n) => o.onProgress?.({ bytesDone: done + n, bytesTotal: total, path: e.path }),
        ),
      );
      downloadedBytes += e.size;
    }
    done += e.size;
    o.onProgress?.({ bytesDone: done, bytesTotal: total, path: e.path });
    await mkdir(path.dirname(target), { recursive: true });
    const rel = path.relative(path.dirname(target), blob);
    const current = await readlink(target).catch(() => null);
    if (current !== rel) {
      if (current !== null) await unlink(target);
      await symlink(rel, target);
    }
    files.push({ path: e.path, size: e.size, downloaded: !have });
  }
  if (revision !== commit) {
    const ref = path.join(storage, 'refs', revision);
    await mkdir(path.dirname(ref), { recursive: true });
    const tmp = `${ref}.tmp-${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, commit);
    await rename(tmp, ref);
  }
  return { repo, commit, snapshotDir, files, downloadedBytes };
}

/** Streams one file to a temp name, checks its oid (sha256 or git blob sha1), then renames it into blobs/. */
async function downloadBlob(
  url: string,
  blob: string,
  e: { size: number; etag: string; lfs: boolean; path: string },
  o: PullRepoOptions,
  onBytes: (n: number) => void,
): Promise<void> {
  const res = await (o.fetch ?? fetch)(url, { headers: { ...(o.token && { Authorization: `Bearer ${o.token}` }) } });
  if (!res.ok || !res.body) throw new HubClientError('DOWNLOAD_FAILED', `GET ${e.path} answered HTTP ${res.status}`, 1);
  const hash = e.lfs ? createHash('sha256') : createHash('sha1').update(`blob ${e.size}\0`);
  const tmp = `${blob}.incomplete-${randomBytes(4).toString('hex')}`;
  let n = 0;
  try {
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>),
      async function* (chunks: AsyncIterable<Uint8Array>) {
        for await (const c of chunks) {
          hash.update(c);
          n += c.byteLength;
          onBytes(n);
          yield c;
        }
      },
      createWriteStream(tmp),
    );
    const got = hash.digest('hex');
    if (n !== e.size || got !== e.etag)
      throw new HubClientError(
        'DOWNLOAD_CORRUPT',
        `${e.path}: downloaded ${n} bytes hashing to ${got}, expected ${e.size} bytes with oid ${e.etag}; retry the pull`,
        1,
      );
    await rename(tmp, blob);
  } finally {
    await rm(tmp, { force: true });
  }
}
