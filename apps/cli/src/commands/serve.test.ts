import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { tempDir } from '#test-support';
import { createHubServer } from '@cliphub/hub-server';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';

const TOKEN = 'hf_serveTest_0123456789abcdef';

async function serve(argv: string[], cwd: string): Promise<{ code: number; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stderr = '';
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await main(['serve', ...argv], { stdout: out, stderr: err, env: {}, cwd });
  return { code, stderr };
}

describe('cliphub serve', () => {
  it('refuses a misordered tokens file and a data dir in use at start: exit 2, one line, no token', async () => {
    const { dir, cleanup } = tempDir('cliphub-serve-');
    try {
      writeFileSync(path.join(dir, 'tokens'), `alice write ${TOKEN}\n`);
      const bad = await serve(['--tokens', 'tokens', '--data', 'd', '--port', '0'], dir);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/^cliphub: tokens file line 1: ROLE is out of place/);
      expect(bad.stderr).not.toContain(TOKEN);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      const held = await createHubServer({ dataDir: path.join(dir, 'd') });
      try {
        const locked = await serve(['--data', 'd', '--port', '0'], dir);
        expect(locked.code).toBe(2);
        expect(locked.stderr).toMatch(/^cliphub: data dir .* is locked/);
      } finally {
        await held.close();
      }
      expect((await serve(['--help'], dir)).code).toBe(0);
    } finally {
      cleanup();
    }
  });
});
