import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

export interface FileHashes {
  size: number;
  /** sha256 of the content: the LFS oid. */
  sha256: string;
  /** git blob sha1: the oid of a regular file. */
  gitOid: string;
}

/** Both ids the Hub may report for a file, from one streamed read. */
export async function hashFile(file: string): Promise<FileHashes> {
  const { size } = await stat(file);
  const sha256 = createHash('sha256');
  const sha1 = createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    sha256.update(chunk);
    sha1.update(chunk);
  }
  return { size, sha256: sha256.digest('hex'), gitOid: sha1.digest('hex') };
}

export { gitBlobOid } from '@cliphub/core';
