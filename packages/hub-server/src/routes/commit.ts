import { splitLines } from '../body.js';
import { CommitBodyParser } from '../commit-body.js';
import { HubError, badRequest, retryLater } from '../errors.js';
import { gitBlobOid } from '../git-oid.js';
import { isRecord, sendJson } from '../http-util.js';
import { checkRepoPath } from '../repo-path.js';
import type { RouteContext } from '../router.js';
import type { Commit, StoreOperation } from '../store.js';
import type { TokenInfo } from '../tokens.js';

const MiB = 1024 * 1024;
/** Objects at or above this size are uploaded through LFS (the Hub's rule, which both clients follow). */
export const LFS_THRESHOLD = 10 * MiB;
const LFS_EXTENSIONS =
  /\.(safetensors|bin|pt|pth|ckpt|onnx|onnx_data|msgpack|h5|npz|npy|pkl|gguf|tar|gz|zip|tflite|ot|model|pb|arrow|parquet|wasm)$/i;
/** Regular files stored at once while a commit body streams in (their fsyncs overlap). */
const BLOB_WRITES_IN_FLIGHT = 8;

/** POST /api/models/{repo}/preupload/{rev}: lfs or regular per file, and the current oid so unchanged files are skipped. */
export async function preupload(c: RouteContext): Promise<void> {
  const body = await c.readJson();
  if (!isRecord(body) || !Array.isArray(body.files)) throw badRequest('Expected {files:[{path,size,sample}]}');
  const { limits, store } = c.hub;
  if (body.files.length > limits.pathsPerRequest)
    throw new HubError(
      413,
      'TooManyPaths',
      `At most ${limits.pathsPerRequest} files per preupload request; send them in chunks`,
    );
  let current: Commit | null = null;
  try {
    current = await store.resolve(c.repo, c.params.rev as string);
  } catch {
    current = null; // a branch about to be created has no files yet
  }
  const files = body.files.map((f: unknown) => {
    if (!isRecord(f)) throw badRequest('Each preupload file must be an object {path,size,sample}');
    const p = checkRepoPath(f.path, limits.pathDepth);
    const size = Number(f.size);
    const sample = typeof f.sample === 'string' ? Buffer.from(f.sample, 'base64') : Buffer.alloc(0);
    const lfs = size > 0 && (size >= LFS_THRESHOLD || LFS_EXTENSIONS.test(p) || sample.includes(0));
    const existing = current?.files.get(p);
    // the oid lets clients skip unchanged files: sha256 for LFS, git blob sha1 for regular
    const oid = existing ? (existing.lfs ? existing.lfs.sha256 : existing.oid) : null;
    return { path: p, uploadMode: lfs ? 'lfs' : 'regular', shouldIgnore: false, oid };
  });
  sendJson(c.res, 200, { files, commitOid: current?.id });
}

/**
 * POST /api/models/{repo}/commit/{rev}: the NDJSON body is streamed line by line through the pure
 * CommitBodyParser; each regular file is stored as a blob as soon as its line is parsed, so memory holds
 * one line (at most limits.commitLineBytes), not the body. At most limits.concurrentCommits bodies are
 * parsed at once; the rest wait briefly, then get 503 with Retry-After.
 */
export async function commit(c: RouteContext): Promise<void> {
  const { limits, store, commitSlots } = c.hub;
  if (!(await commitSlots.acquire(limits.commitQueueMs)))
    throw retryLater(503, 'ServerBusy', 'Too many commits are being received right now; retry shortly', 5000);
  const ops: StoreOperation[] = [];
  let header;
  try {
    const parser = new CommitBodyParser(limits);
    const writes = new Set<Promise<void>>();
    const stored = new Set<string>();
    for await (const line of splitLines(c.body(), limits.commitLineBytes, 'A commit line (one inline file)')) {
      const op = parser.add(line.toString('utf8'));
      if (!op) continue;
      if (op.kind !== 'file') {
        ops.push(op);
        continue;
      }
      const oid = gitBlobOid(op.content);
      ops.push({ kind: 'file', path: op.path, oid, size: op.content.length });
      if (stored.has(oid)) continue; // the same bytes twice in one commit are stored once
      stored.add(oid);
      const write = store.putBlob(c.repo, oid, op.content);
      writes.add(write);
      write.then(
        () => writes.delete(write),
        () => undefined, // surfaces through Promise.race / Promise.all below
      );
      if (writes.size >= BLOB_WRITES_IN_FLIGHT) await Promise.race(writes);
    }
    await Promise.all(writes);
    header = parser.finish();
  } finally {
    commitSlots.release();
  }
  const createPr = c.query.get('create_pr') === '1' || c.query.get('create_pr') === 'true';
  const { commit: made, prNumber } = await store.commitOps(c.repo, c.params.rev as string, ops, {
    title: header.summary,
    description: header.description,
    author: (c.who as TokenInfo).user,
    parentCommit: header.parentCommit,
    createPr,
  });
  sendJson(c.res, 200, {
    success: true,
    commitOid: made.id,
    commitUrl: `${c.base}/${c.repo}/commit/${made.id}`,
    ...(prNumber !== undefined && { pullRequestUrl: `${c.base}/${c.repo}/discussions/${prNumber}` }),
    hookOutput: '',
  });
}
