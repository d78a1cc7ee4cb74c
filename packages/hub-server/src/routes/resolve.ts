import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { HubError, entryNotFound } from '../errors.js';
import { parseRange, sendError } from '../http-util.js';
import { checkRepoPath } from '../repo-path.js';
import type { RouteContext } from '../router.js';

/**
 * HEAD|GET /{repo}/resolve/{rev}/{path} (and HEAD …/raw/…): the file's bytes, with the headers both clients
 * read (X-Repo-Commit, quoted ETag, X-Linked-Etag/-Size for LFS, Range → 206 + Content-Range).
 */
export async function resolveFile(c: RouteContext): Promise<void> {
  const p = checkRepoPath(c.params.path);
  const { store } = c.hub;
  const commit = await store.resolve(c.repo, c.params.rev as string);
  const e = commit.files.get(p);
  if (!e) return sendError(c.res, entryNotFound(p), { 'X-Repo-Commit': commit.id });
  const headers: Record<string, string> = {
    'X-Repo-Commit': commit.id,
    ETag: `"${e.lfs ? e.lfs.sha256 : e.oid}"`,
    'Accept-Ranges': 'bytes',
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(path.posix.basename(p))}`,
  };
  if (e.lfs) {
    headers['X-Linked-Etag'] = `"${e.lfs.sha256}"`;
    headers['X-Linked-Size'] = String(e.size);
  }
  let range: { start: number; end: number } | null = null;
  try {
    range = e.size > 0 ? parseRange(c.req.headers.range, e.size) : null;
  } catch (err) {
    if (err instanceof HubError) return sendError(c.res, err, headers);
    throw err;
  }
  await stat(store.blobPath(c.repo, e)); // fail before the headers go out if the blob is missing
  if (range) {
    headers['Content-Range'] = `bytes ${range.start}-${range.end}/${e.size}`;
    headers['Content-Length'] = String(range.end - range.start + 1);
    c.res.writeHead(206, headers);
  } else {
    headers['Content-Length'] = String(e.size);
    c.res.writeHead(200, headers);
  }
  if (c.req.method === 'HEAD') return void c.res.end();
  await pipeline(store.readStream(c.repo, e, range ?? undefined), c.res);
}
