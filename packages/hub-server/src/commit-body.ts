import { badRequest, HubError } from './errors.js';
import { isSha256 } from './git-oid.js';
import { isRecord } from './http-util.js';
import { checkRepoPath } from './repo-path.js';

export interface CommitHeader {
  summary: string;
  description: string;
  /** When given, the commit lands only if the branch head is still this commit. */
  parentCommit?: string;
}

/** One operation of a commit, as the client sent it (a regular file still carries its bytes). */
export type CommitOperation =
  | { kind: 'file'; path: string; content: Buffer }
  | { kind: 'lfsFile'; path: string; sha256: string; size: number }
  | { kind: 'deletedFile'; path: string }
  | { kind: 'deletedFolder'; path: string };

export interface CommitBodyLimits {
  /** Operations in one commit. */
  commitOperations: number;
  /** Folders in a path. */
  pathDepth: number;
}

/**
 * The Hub's NDJSON commit body, one line at a time: `{key, value}` with key header, file, lfsFile,
 * deletedFile or deletedFolder. Pure (no I/O), so the server can stream a body through it and store each
 * regular file as soon as its line is parsed, holding one line at a time.
 */
export class CommitBodyParser {
  private header: CommitHeader | null = null;
  private seen = new Set<string>();
  private count = 0;
  constructor(private readonly limits: CommitBodyLimits) {}

  /** Parses one line: its operation, or null for the header and blank lines. */
  add(line: string): CommitOperation | null {
    if (!line.trim()) return null;
    let item: unknown;
    try {
      item = JSON.parse(line);
    } catch {
      throw badRequest('Commit body must be NDJSON: one JSON object per line');
    }
    if (!isRecord(item) || !isRecord(item.value)) throw badRequest('Each commit line needs {key, value}');
    const v = item.value;
    if (item.key === 'header') {
      if (this.header) throw badRequest('Commit body has two header lines; send one');
      this.header = {
        summary: typeof v.summary === 'string' && v.summary.trim() ? v.summary : 'Upload files',
        description: typeof v.description === 'string' ? v.description : '',
        ...(typeof v.parentCommit === 'string' && v.parentCommit && { parentCommit: v.parentCommit }),
      };
      return null;
    }
    if (++this.count > this.limits.commitOperations)
      throw new HubError(
        413,
        'TooManyOperations',
        `A commit may hold at most ${this.limits.commitOperations} operations; split it into several commits`,
      );
    const p = checkRepoPath(typeof v.path === 'string' ? v.path.replace(/\/$/, '') : v.path, this.limits.pathDepth);
    if (item.key !== 'deletedFolder') {
      if (this.seen.has(p)) throw badRequest(`Path '${p}' appears twice in one commit`);
      this.seen.add(p);
    }
    switch (item.key) {
      case 'file': {
        if (typeof v.content !== 'string') throw badRequest(`File '${p}' has no content`);
        const content = v.encoding === 'base64' ? Buffer.from(v.content, 'base64') : Buffer.from(v.content, 'utf8');
        return { kind: 'file', path: p, content };
      }
      case 'lfsFile': {
        if (v.algo !== undefined && v.algo !== 'sha256')
          throw badRequest(`LFS file '${p}': only algo sha256 is supported`);
        if (!isSha256(v.oid)) throw badRequest(`LFS file '${p}': oid must be 64 lowercase hex characters`);
        const size = Number(v.size);
        if (!Number.isSafeInteger(size) || size < 0)
          throw badRequest(`LFS file '${p}': size must be a non-negative integer`);
        return { kind: 'lfsFile', path: p, sha256: v.oid, size };
      }
      case 'deletedFile':
        return { kind: 'deletedFile', path: p };
      case 'deletedFolder':
        return { kind: 'deletedFolder', path: p };
      default:
        throw badRequest(
          `Unsupported commit operation '${String(item.key)}'; use file, lfsFile, deletedFile or deletedFolder`,
        );
    }
  }

  /** The header, once every line is in; a body without one is refused. */
  finish(): CommitHeader {
    if (!this.header) throw badRequest('Commit body needs a header line {"key":"header","value":{"summary":...}}');
    return this.header;
  }
}

/** A whole commit body at once: its header and operations in order. */
export function parseCommitBody(
  text: string,
  limits: CommitBodyLimits,
): { header: CommitHeader; operations: CommitOperation[] } {
  const parser = new CommitBodyParser(limits);
  const operations: CommitOperation[] = [];
  for (const line of text.split('\n')) {
    const op = parser.add(line);
    if (op) operations.push(op);
  }
  return { header: parser.finish(), operations };
}
