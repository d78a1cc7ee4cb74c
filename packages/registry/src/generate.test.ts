import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { needsShared, repoRoot, sharedUpstream, tempDir } from '#test-support';
import { describe, expect, it } from 'vitest';

// The committed data must be exactly what tools/registry/generate.mjs makes from ../shared today.
describe.skipIf(!needsShared('registry generator re-run against ../shared/upstream') || !sharedUpstream)(
  'tools/registry/generate.mjs',
  () => {
    it('reproduces registry/architectures.json and pretrained.json byte for byte', () => {
      const tmp = tempDir();
      try {
        const r = spawnSync(
          process.execPath,
          [path.join(repoRoot, 'tools/registry/generate.mjs'), sharedUpstream!, '--out', tmp.dir, '--skip-towers'],
          { encoding: 'utf8' },
        );
        expect(r.status, r.stderr).toBe(0);
        for (const f of ['architectures.json', 'pretrained.json']) {
          expect(readFileSync(path.join(tmp.dir, f), 'utf8'), f).toBe(
            readFileSync(path.join(repoRoot, 'registry', f), 'utf8'),
          );
        }
      } finally {
        tmp.cleanup();
      }
    });

    it('refuses a folder that is not open_clip upstream data (exit 2)', () => {
      const tmp = tempDir();
      try {
        const r = spawnSync(
          process.execPath,
          [path.join(repoRoot, 'tools/registry/generate.mjs'), tmp.dir, '--out', tmp.dir],
          { encoding: 'utf8' },
        );
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/has no pretrained\.json/);
      } finally {
        tmp.cleanup();
      }
    });
  },
);
