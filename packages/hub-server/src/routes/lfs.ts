import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { assertCanWrite } from '../auth.js';
import { HubError, badRequest, repoNotFound } from '../errors.js';
import { isSha256 } from '../git-oid.js';
import { partsDir } from '../hub.js';
import { isRecord, sendJson } from '../http-util.js';
import type { RouteContext } from '../router.js';
import type { UploadTicket } from '../upload-tickets.js';
import { LFS_THRESHOLD } from './commit.js';

const MiB = 1024 * 1024;
/** Multipart parts are 5 MiB (what both clients are tested with), larger for huge objects so none needs over 1000 parts. */
const MIN_PART = 5 * MiB;
const MAX_PARTS_PER_OBJECT = 1000;
const LFS_JSON = 'application/vnd.git-lfs+json';

export function partSizeFor(size: number): number {
  return Math.max(MIN_PART, Math.ceil(size / MAX_PARTS_PER_OBJECT / MiB) * MiB);
}

type BatchObject = { oid: unknown; size: unknown; [k: string]: unknown };

/**
 * POST /{repo}.git/info/lfs/objects/batch. The response is bounded before anything is issued: at most
 * limits.batchObjects objects, and at most limits.batchParts multipart part URLs in all (a 10 KB batch
 * claiming 64 GiB objects once built a 115 MB answer); over either, the batch is refused with 413.
 */
export async function lfsBatch(c: RouteContext): Promise<void> {
  const { limits, store, tickets } = c.hub;
  const body = await c.readJson();
  if (!isRecord(body) || !Array.isArray(body.objects))
    throw badRequest('Expected an LFS batch request {operation, objects}');
  const op = body.operation;
  if (op === 'upload') assertCanWrite(c.who, c.repo, c.meta);
  else if (op !== 'download') throw badRequest(`Unsupported LFS operation '${String(op)}'`);
  if (body.objects.length > limits.batchObjects)
    throw new HubError(
      413,
      'TooManyObjects',
      `At most ${limits.batchObjects} objects per LFS batch; send several batches`,
    );

  const plan = await Promise.all(
    (body.objects as unknown[]).map(async (o) => {
      const oid = isRecord(o) ? o.oid : undefined;
      const size = isRecord(o) ? Number(o.size) : NaN;
      if (!isSha256(oid) || !Number.isSafeInteger(size) || size < 0)
        return {
          oid,
          size,
          error: { code: 422, message: 'oid must be a sha256 hex string and size a non-negative integer' },
        };
      if (size > limits.lfsObjectBytes)
        return {
          oid,
          size,
          error: { code: 422, message: `Object is larger than the server limit of ${limits.lfsObjectBytes} bytes` },
        };
      return { oid, size, have: await store.hasLfs(c.repo, oid, size) };
    }),
  );
  const parts = plan.reduce(
    (n, p) =>
      n +
      (op === 'upload' && !p.error && !p.have && p.size >= LFS_THRESHOLD ? Math.ceil(p.size / partSizeFor(p.size)) : 0),
    0,
  );
  if (parts > limits.batchParts)
    throw new HubError(
      413,
      'TooManyParts',
      `This batch needs ${parts} upload part URLs, over the server limit of ${limits.batchParts}; send fewer objects per batch`,
    );

  const issued: UploadTicket[] = [];
  const objects: BatchObject[] = [];
  try {
    for (const p of plan) {
      const { oid, size } = p;
      if (p.error) objects.push({ oid, size, error: p.error });
      else if (op === 'download')
        objects.push(
          p.have
            ? { oid, size, actions: { download: { href: `${c.base}/_lfs/object/${c.repo}/${oid as string}` } } }
            : { oid, size, error: { code: 404, message: 'Object does not exist' } },
        );
      else if (p.have)
        objects.push({ oid, size }); // already stored: no actions, the client skips the upload
      else {
        const multipart =
          size >= LFS_THRESHOLD
            ? {
                partSize: partSizeFor(size),
                partCount: Math.ceil(size / partSizeFor(size)),
                etags: new Map<number, string>(),
              }
            : undefined;
        const t = tickets.issue({
          repo: c.repo,
          user: (c.who as { user: string }).user,
          oid: oid as string,
          size,
          multipart,
        });
        issued.push(t);
        const upload: { href: string; header?: Record<string, string> } = { href: `${c.base}/_lfs/upload/${t.id}` };
        if (multipart) {
          const header: Record<string, string> = { chunk_size: String(multipart.partSize) };
          for (let i = 1; i <= multipart.partCount; i++)
            header[String(i).padStart(5, '0')] = `${c.base}/_lfs/upload/${t.id}/part/${i}`;
          upload.header = header;
        }
        objects.push({
          oid,
          size,
          authenticated: true,
          actions: { upload, verify: { href: `${c.base}/_lfs/verify/${c.repo}` } },
        });
      }
    }
  } catch (e) {
    for (const t of issued) tickets.remove(t.id); // a refused batch leaves no tickets behind
    throw e;
  }
  sendJson(c.res, 200, { transfer: 'basic', objects }, {}, LFS_JSON);
}

/** PUT /_lfs/upload/{ticket}: the whole object, hashed as it streams; kept only when it matches. */
export async function basicUpload(c: RouteContext): Promise<void> {
  const t = c.ticket as UploadTicket;
  if (t.multipart) throw badRequest('This object uses multipart upload; PUT its parts to the part URLs');
  if (!(await c.hub.store.meta(t.repo))) throw repoNotFound(t.repo);
  await c.hub.store.putLfs(t.repo, t.oid, t.size, c.body());
  c.hub.tickets.remove(t.id);
  c.res.writeHead(200, { 'Content-Length': '0' }).end();
}

/** PUT /_lfs/upload/{ticket}/part/{n}: one part, into the ticket's part folder (outside the repo), answered with its MD5 ETag. */
export async function partUpload(c: RouteContext): Promise<void> {
  const t = c.ticket as UploadTicket;
  const n = Number(c.params.part);
  const mp = t.multipart;
  if (!mp || !Number.isInteger(n) || n < 1 || n > mp.partCount)
    throw badRequest(`Part ${c.params.part} is not part of this upload`);
  // a part for a deleted repo is refused: nothing of that repo may reappear on disk
  if (!(await c.hub.store.meta(t.repo))) throw repoNotFound(t.repo);
  const expected = n < mp.partCount ? mp.partSize : t.size - mp.partSize * (mp.partCount - 1);
  const dir = partsDir(c.hub.store, t);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, String(n));
  const tmp = `${file}.${randomBytes(4).toString('hex')}`;
  const md5 = createHash('md5');
  let seen = 0;
  try {
    await pipeline(
      c.body(),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const ch of chunks) {
          seen += ch.length;
          if (seen > expected) throw new HubError(400, 'SizeMismatch', `Part ${n} is larger than ${expected} bytes`);
          md5.update(ch);
          yield ch;
        }
      },
      createWriteStream(tmp),
    );
    if (seen !== expected) throw new HubError(400, 'SizeMismatch', `Part ${n} has ${seen} bytes, expected ${expected}`);
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
  if (!c.hub.tickets.has(t.id)) {
    // the ticket expired or its repo was deleted meanwhile: its folder must not outlive it
    await rm(dir, { recursive: true, force: true });
    throw new HubError(
      404,
      'UploadNotFound',
      'The upload expired while this part arrived; request a new one from the LFS batch API',
    );
  }
  const etag = `"${md5.digest('hex')}"`;
  mp.etags.set(n, etag);
  c.res.writeHead(200, { ETag: etag, 'Content-Length': '0' }).end();
}

/** POST /_lfs/upload/{ticket}: completes a multipart upload once every part's ETag matches; the parts are then deleted. */
export async function completeMultipart(c: RouteContext): Promise<void> {
  const t = c.ticket as UploadTicket;
  const mp = t.multipart;
  if (!mp) throw badRequest('This upload is not multipart; PUT the whole object instead');
  const body = await c.readJson();
  if (!isRecord(body) || body.oid !== t.oid || !Array.isArray(body.parts))
    throw badRequest('Completion body must be {oid, parts:[{partNumber, etag}]} for this upload');
  const given = new Map<number, string>();
  for (const p of body.parts) if (isRecord(p)) given.set(Number(p.partNumber), String(p.etag).replace(/"/g, ''));
  for (let i = 1; i <= mp.partCount; i++) {
    const etag = mp.etags.get(i);
    if (!etag) throw badRequest(`Part ${i} was never uploaded; upload it, then complete`);
    if (given.get(i) !== etag.replace(/"/g, ''))
      throw badRequest(`Part ${i} ETag does not match the uploaded part; re-upload it`);
  }
  const dir = partsDir(c.hub.store, t);
  async function* concat(): AsyncGenerator<Uint8Array> {
    for (let i = 1; i <= (mp as NonNullable<typeof mp>).partCount; i++)
      yield* createReadStream(path.join(dir, String(i))) as AsyncIterable<Uint8Array>;
  }
  try {
    await c.hub.store.putLfs(t.repo, t.oid, t.size, concat());
  } finally {
    await rm(dir, { recursive: true, force: true }); // the parts are gone before the client hears back
    c.hub.tickets.remove(t.id);
  }
  sendJson(c.res, 200, {});
}

/** POST /_lfs/verify/{repo}: 200 when the object is stored with that size. */
export async function verify(c: RouteContext): Promise<void> {
  const body = await c.readJson();
  if (!isRecord(body) || !isSha256(body.oid)) throw badRequest('Verify body must be {oid, size}');
  const size = Number(body.size);
  if (!(await c.hub.store.hasLfs(c.repo, body.oid, size)))
    throw new HubError(
      404,
      'LfsObjectMissing',
      `LFS object ${body.oid} (${size} bytes) is not stored; upload it again`,
    );
  sendJson(c.res, 200, {});
}

/** GET|HEAD /_lfs/object/{repo}/{sha256}: an LFS download action's target. */
export async function lfsDownload(c: RouteContext): Promise<void> {
  const oid = c.params.oid as string;
  if (!isSha256(oid) || !(await c.hub.store.hasLfs(c.repo, oid)))
    throw new HubError(404, 'LfsObjectMissing', `LFS object ${oid} is not stored in ${c.repo}`);
  const file = c.hub.store.lfsPath(c.repo, oid);
  const { size } = await stat(file);
  c.res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) });
  if (c.req.method === 'HEAD') return void c.res.end();
  await pipeline(createReadStream(file), c.res);
}
