import { open } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomicLib from 'write-file-atomic';

/** fsyncs a directory so a rename inside it survives a crash (a no-op where directories cannot be opened). */
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms and file systems refuse to open or sync directories; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}

/**
 * Writes a whole small file atomically and durably (npm's write-file-atomic: a unique temp file beside it,
 * fsync, rename, the temp file removed on failure and on SIGINT/SIGTERM), then fsyncs the directory so
 * the rename itself is durable. Large outputs are streamed by their own writers (@cliphub/safetensors).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await writeFileAtomicLib(
    file,
    typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    {
      mode: 0o644,
    },
  );
  await fsyncDir(path.dirname(file));
}
