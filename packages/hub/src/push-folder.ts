import { open } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import {
  commitIter,
  createBranch,
  createRepo,
  listFiles,
  modelInfo,
  repoExists,
  type CommitOperation,
} from '@huggingface/hub';
import { HubClientError, wrapHubError } from './errors.js';
import { gitBlobOid } from '@cliphub/core';
import { hashFile } from './file-hashes.js';
import { listFolder } from './list-folder.js';
import { parseRepoId } from './repo-id.js';

export interface PushFolderOptions {
  /** ORG/NAME */
  repo: string;
  /** A prepared folder (for an OpenCLIP model: open_clip_model.safetensors + open_clip_config.json); every file in it is pushed. */
  folder?: string;
  /** Single files under chosen repo paths (e.g. a checkpoint named epoch_1.pt pushed as open_clip_pytorch_model.bin). */
  files?: Array<{ file: string; path: string }>;
  hubUrl: string;
  /** Must start with `hf_` (the JS client insists); see discoverToken. */
  token?: string;
  /** Target branch, created from main when missing. Default main. */
  revision?: string;
  /** Open a pull request (refs/pr/N) instead of committing to the branch. */
  createPr?: boolean;
  /** Visibility when the repo has to be created. */
  private?: boolean;
  message?: string;
  /** Plan only: nothing is created or uploaded. */
  dryRun?: boolean;
  /** More folders, uploaded under a prefix (e.g. an ONNX export under `onnx`). */
  extraFolders?: Array<{ dir: string; prefix: string }>;
  /** A model card for README.md; an existing remote card is kept unless overwriteCard. */
  card?: string;
  overwriteCard?: boolean;
  onProgress?: (p: PushProgress) => void;
  /** For tests and proxies. */
  fetch?: typeof fetch;
  abortSignal?: AbortSignal;
}

export interface PushProgress {
  phase: 'hashing' | 'uploading' | 'committing';
  bytesDone: number;
  bytesTotal: number;
  path?: string;
}

export interface PlannedFile {
  path: string;
  size: number;
  /** Whether it travels as LFS (by the Hub's rule: weights extension, >= 10 MiB, or binary sample). */
  lfs: boolean;
  action: 'upload' | 'skip';
  /** Why a file is skipped: 'unchanged' or 'existing card kept'. */
  reason?: string;
}

export interface PushResult {
  repo: string;
  revision: string;
  /** The new commit; null when nothing changed (no commit is made) or on a dry run. */
  commit: string | null;
  /** The revision's head before the push (null when the repo did not exist). */
  parentCommit: string | null;
  repoCreated: boolean;
  pullRequestUrl?: string;
  files: PlannedFile[];
  uploadBytes: number;
}

const MiB = 1024 * 1024;
const LFS_EXT =
  /\.(safetensors|bin|pt|pth|ckpt|onnx|onnx_data|msgpack|h5|npz|npy|pkl|gguf|tar|gz|zip|tflite|ot|model|pb|arrow|parquet|wasm)$/i;

/**
 * Pushes a folder to a Hub repo in ONE commit through @huggingface/hub. Files whose content is
 * already on the target revision (same LFS sha256 or git blob oid) are skipped, so re-running an
 * interrupted push uploads only what is missing; LFS objects that reached the server before the
 * interruption are not re-sent either (the LFS batch API reports them stored). A second identical
 * push finds nothing to change and makes no commit (`commit: null`).
 */
export async function pushFolder(o: PushFolderOptions): Promise<PushResult> {
  const repo = parseRepoId(o.repo);
  const revision = o.revision ?? 'main';
  const common = { hubUrl: o.hubUrl.replace(/\/$/, ''), accessToken: o.token, ...(o.fetch && { fetch: o.fetch }) };
  if (!o.dryRun && !o.token)
    throw new HubClientError(
      'NO_TOKEN',
      'No Hub token: set HF_TOKEN or log in with huggingface_hub (~/.cache/huggingface/token)',
    );
  if (o.token && !o.token.startsWith('hf_'))
    throw new HubClientError('BAD_TOKEN', "The Hub token must start with 'hf_'; check HF_TOKEN");
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw wrapHubError(e, what, o.token);
    }
  };

  if (o.folder === undefined && !o.files?.length)
    throw new HubClientError('NOTHING_TO_PUSH', 'Nothing to push: give a folder or files');
  const local = o.folder === undefined ? [] : [...(await listFolder(o.folder))];
  for (const f of o.files ?? []) local.push({ path: checkRepoPath(f.path), file: f.file });
  for (const x of o.extraFolders ?? []) local.push(...(await listFolder(x.dir, x.prefix.replace(/^\/+|\/+$/g, ''))));
  const dup = local.find((f, i) => local.findIndex((g) => g.path === f.path) !== i);
  if (dup)
    throw new HubClientError(
      'DUPLICATE_PATH',
      `'${dup.path}' is given twice (two folders or files map to it); rename one`,
    );

  // What the target revision holds now (nothing when the repo or branch does not exist yet).
  const exists = await step('checking the repo', () => repoExists({ repo, ...common }));
  let parent: string | null = null;
  const remote = new Map<string, { oid: string; lfsOid?: string }>();
  let branchExists = false;
  if (exists) {
    parent = await step('reading the revision', async () => {
      try {
        const info = await modelInfo({ name: repo, revision, additionalFields: ['sha'], ...common });
        return (info as { sha?: string }).sha ?? null;
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) return null;
        throw e;
      }
    });
    branchExists = parent !== null;
    if (parent)
      await step('listing remote files', async () => {
        for await (const f of listFiles({ repo, revision: parent as string, recursive: true, ...common }))
          if (f.type === 'file')
            remote.set(f.path, f.lfs ? { oid: f.oid ?? '', lfsOid: f.lfs.oid } : { oid: f.oid ?? '' });
      });
  }

  const files: PlannedFile[] = [];
  const ops: CommitOperation[] = [];
  const hashedTotal = local.length;
  let hashed = 0;
  for (const f of local) {
    if (o.card !== undefined && f.path === 'README.md') continue; // the built card replaces a local one
    const h = await hashFile(f.file);
    o.onProgress?.({ phase: 'hashing', bytesDone: ++hashed, bytesTotal: hashedTotal, path: f.path });
    const r = remote.get(f.path);
    const same = r && (r.lfsOid ? r.lfsOid === h.sha256 : r.oid === h.gitOid);
    const lfs = r ? !!r.lfsOid : await looksLfs(f.file, f.path, h.size);
    files.push({
      path: f.path,
      size: h.size,
      lfs,
      action: same ? 'skip' : 'upload',
      ...(same && { reason: 'unchanged' }),
    });
    if (!same) ops.push({ operation: 'addOrUpdate', path: f.path, content: pathToFileURL(f.file) });
  }
  if (o.card !== undefined) {
    const body = Buffer.from(o.card);
    const r = remote.get('README.md');
    const gitOid = gitBlobOid(body);
    if (r && !o.overwriteCard)
      files.push({ path: 'README.md', size: body.length, lfs: false, action: 'skip', reason: 'existing card kept' });
    else if (r && r.oid === gitOid)
      files.push({ path: 'README.md', size: body.length, lfs: false, action: 'skip', reason: 'unchanged' });
    else {
      files.push({ path: 'README.md', size: body.length, lfs: false, action: 'upload' });
      ops.push({ operation: 'addOrUpdate', path: 'README.md', content: new Blob([body]) });
    }
  }
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  const uploadBytes = files.filter((f) => f.action === 'upload').reduce((s, f) => s + f.size, 0);
  const result: PushResult = {
    repo,
    revision,
    commit: null,
    parentCommit: parent,
    repoCreated: false,
    files,
    uploadBytes,
  };
  if (o.dryRun || ops.length === 0) return result;

  if (!exists) {
    await step('creating the repo', async () => {
      try {
        await createRepo({ repo, private: o.private ?? false, ...common, accessToken: o.token as string });
        result.repoCreated = true;
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode !== 409) throw e; // created by someone else meanwhile: fine
      }
    });
  }
  if (!branchExists && revision !== 'main') {
    await step(`creating branch ${revision}`, () =>
      createBranch({ repo, branch: revision, revision: 'main', ...common }),
    );
  }

  const sizes = new Map(files.map((f) => [f.path, f.size]));
  const progress = new Map<string, number>();
  const out = await step('pushing the commit', async () => {
    const it = commitIter({
      repo,
      ...common,
      branch: revision,
      isPullRequest: o.createPr,
      // refuse, rather than silently merge over, a commit that landed since we planned
      ...(parent && !result.repoCreated && { parentCommit: parent }),
      title: o.message ?? `Upload ${files.filter((f) => f.action === 'upload').length} files with cliphub`,
      operations: ops,
      useWebWorkers: false,
      ...(o.abortSignal && { abortSignal: o.abortSignal }),
    });
    for (;;) {
      const n = await it.next();
      if (n.done) return n.value;
      const ev = n.value;
      if (ev.event === 'phase' && ev.phase === 'committing')
        o.onProgress?.({ phase: 'committing', bytesDone: uploadBytes, bytesTotal: uploadBytes });
      if (ev.event === 'fileProgress' && ev.state === 'uploading') {
        progress.set(ev.path, ev.progress * (sizes.get(ev.path) ?? 0));
        let done = 0;
        for (const v of progress.values()) done += v;
        o.onProgress?.({ phase: 'uploading', bytesDone: Math.round(done), bytesTotal: uploadBytes, path: ev.path });
      }
    }
  });
  result.commit = out?.commit.oid ?? null;
  if (out?.pullRequestUrl) result.pullRequestUrl = out.pullRequestUrl;
  return result;
}

/** A repo path as the Hub accepts it: relative, '/'-separated, no '..' (the server refuses those anyway). */
function checkRepoPath(p: string): string {
  if (!p || p.startsWith('/') || p.includes('\\') || p.split('/').some((s) => s === '' || s === '.' || s === '..'))
    throw new HubClientError(
      'BAD_REPO_PATH',
      `'${p}' is not a valid repo path; use a relative path like dir/file.json`,
    );
  return p;
}

/** The Hub's preupload rule, applied locally for planning: weights extension, >= 10 MiB, or a NUL byte early on. */
async function looksLfs(file: string, p: string, size: number): Promise<boolean> {
  if (size === 0) return false;
  if (size >= 10 * MiB || LFS_EXT.test(p)) return true;
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(512, size));
    await fh.read(buf, 0, buf.length, 0);
    return buf.includes(0);
  } finally {
    await fh.close();
  }
}
