import { createHash } from 'node:crypto';

/** Git's blob id: sha1("blob <size>\0" + content), what the Hub reports as a regular file's oid. */
export function gitBlobOid(content: Uint8Array): string {
  return createHash('sha1').update(`blob ${content.byteLength}\0`).update(content).digest('hex');
}

/** The Git LFS pointer text committed in place of a large file. */
export function lfsPointer(sha256: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
}

export const isSha256 = (s: unknown): s is string => typeof s === 'string' && /^[0-9a-f]{64}$/.test(s);
export const isCommitId = (s: string): boolean => /^[0-9a-f]{40}$/.test(s);
