export { gitBlobOid } from '@cliphub/core';

/** The Git LFS pointer text committed in place of a large file. */
export function lfsPointer(sha256: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
}

export const isSha256 = (s: unknown): s is string => typeof s === 'string' && /^[0-9a-f]{64}$/.test(s);
export const isCommitId = (s: string): boolean => /^[0-9a-f]{40}$/.test(s);
