import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Hex sha256 of a file, streamed (checkpoints are hundreds of MB): cliphub.json's `source.sha256`. */
export async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  // 8 MiB reads: the default 64 KiB costs seconds of per-chunk overhead on multi-GB checkpoints.
  for await (const chunk of createReadStream(file, { highWaterMark: 8 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}
