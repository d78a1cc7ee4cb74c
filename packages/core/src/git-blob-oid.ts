import { createHash } from 'node:crypto';

/** Git's blob id, sha1("blob <size>\0" + content): what the Hub reports as a regular file's oid. */
export function gitBlobOid(content: Uint8Array): string {
  return createHash('sha1').update(`blob ${content.byteLength}\0`).update(content).digest('hex');
}
