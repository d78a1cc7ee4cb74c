import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { HubClientError } from './errors.js';

/** Files under `dir` as repo paths ('/'-separated, sorted), skipping .git and .cache like huggingface_hub does. */
export async function listFolder(dir: string, prefix = ''): Promise<Array<{ path: string; file: string }>> {
  const s = await stat(dir).catch(() => null);
  if (!s?.isDirectory())
    throw new HubClientError('NOT_A_FOLDER', `${dir} is not a folder; pass the prepared model folder`);
  const out: Array<{ path: string; file: string }> = [];
  async function walk(abs: string, rel: string): Promise<void> {
    for (const e of await readdir(abs, { withFileTypes: true })) {
      if (e.name === '.git' || e.name === '.cache') continue;
      const a = path.join(abs, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      const st = e.isSymbolicLink() ? await stat(a) : null;
      if (e.isDirectory() || st?.isDirectory()) await walk(a, r);
      else if (e.isFile() || st?.isFile()) out.push({ path: prefix ? `${prefix}/${r}` : r, file: a });
    }
  }
  await walk(dir, '');
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}
