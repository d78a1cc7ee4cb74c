import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedUpstream, tempDir } from '#test-support';

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const hasUpstream = sharedUpstream !== null;
if (!hasUpstream)
  console.warn('SKIPPED (open_clip_train argument table regeneration): ../shared/upstream is absent; CI always has it');
const tmp = tempDir('cliphub-distill-gen-');
afterAll(tmp.cleanup);

describe.skipIf(!hasUpstream)('the committed open_clip_train argument table', () => {
  it('is what scripts/generate-train-args.mjs makes from ../shared', () => {
    const script = path.join(pkg, 'scripts/generate-train-args.mjs');
    const source = path.join(sharedUpstream!, 'open_clip_train_params.json');
    // The script writes into src/; run a copy of it whose output lands in a temp tree instead.
    const copy = path.join(tmp.dir, 'scripts/generate-train-args.mjs');
    mkdirSync(path.join(tmp.dir, 'scripts'), { recursive: true });
    mkdirSync(path.join(tmp.dir, 'src'), { recursive: true });
    copyFileSync(script, copy);
    const r = spawnSync(process.execPath, [copy, source], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const fresh = readFileSync(path.join(tmp.dir, 'src/open-clip-train-args.generated.ts'), 'utf8');
    expect(fresh).toBe(readFileSync(path.join(pkg, 'src/open-clip-train-args.generated.ts'), 'utf8'));
    expect(JSON.parse(readFileSync(source, 'utf8')).arguments).toHaveLength(91);
  });
});
