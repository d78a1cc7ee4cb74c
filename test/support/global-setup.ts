import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Builds the Python oracle and generated fixtures once (cached; a no-op when up to date).
export default function setup(): void {
  const script = fileURLToPath(new URL('../../tools/oracle/ensure.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  if (r.status !== 0)
    throw new Error('oracle setup failed: see the output above (set CLIPHUB_ORACLE=off to skip oracle tests)');
}
