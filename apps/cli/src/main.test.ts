import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliBin, repoRoot, sink, tempDir } from '#test-support';
import { EXIT_INTERNAL, reportError, VERSION } from './main.js';
import { runMain } from './test-utils/run-main.js';

const cliPackage = JSON.parse(readFileSync(path.join(repoRoot, 'apps/cli/package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
};

describe('cliphub --version and internal errors', () => {
  const tmp = tempDir('cliphub-main-');
  afterAll(() => tmp.cleanup());

  it('--version prints the package version', async () => {
    const r = await runMain(['--version'], { cwd: tmp.dir });
    expect(r).toEqual({ code: 0, out: `cliphub ${cliPackage.version}\n`, err: '' });
    expect(VERSION).toBe(cliPackage.version);
  });

  it('--help documents every exit code, the internal one included', async () => {
    const r = await runMain(['--help'], { cwd: tmp.dir });
    expect(r.code).toBe(0);
    expect(r.out).toContain('Exit codes: 0 ok, 1 check failed, 2 bad input, 70 internal error');
    expect(r.out).toContain('--version');
  });

  const bug = (): Error => {
    const e = new TypeError("Cannot read properties of undefined (reading 'dims')");
    e.stack = `${e.name}: ${e.message}\n    at buildTower (file:///x/y.js:1:2)\n    at main (file:///x/z.js:3:4)`;
    return e;
  };

  it('an unexpected error is exit 70 with two lines: what broke and how to report it, no stack trace', () => {
    const stderr = sink();
    const code = reportError(bug(), { stdout: sink(), stderr, env: {}, cwd: tmp.dir });
    expect(code).toBe(EXIT_INTERNAL);
    const lines = stderr.text().trimEnd().split('\n');
    expect(lines).toEqual([
      "cliphub: internal error (exit 70): TypeError: Cannot read properties of undefined (reading 'dims')",
      expect.stringMatching(
        new RegExp(`^cliphub: this is a bug in cliphub ${VERSION} .*please report it .*CLIPHUB_DEBUG=1`),
      ),
    ]);
    expect(stderr.text()).not.toContain('    at ');
  });

  it('CLIPHUB_DEBUG=1 adds the stack trace', () => {
    const stderr = sink();
    expect(reportError(bug(), { stdout: sink(), stderr, env: { CLIPHUB_DEBUG: '1' }, cwd: tmp.dir })).toBe(70);
    expect(stderr.text()).toContain('    at buildTower (file:///x/y.js:1:2)');
  });

  it.skipIf(!existsSync(cliBin))('the committed bin shim runs the build', () => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'apps/cli', cliPackage.bin.cliphub!), '--version'], {
      encoding: 'utf8',
    });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
      status: 0,
      stdout: `cliphub ${cliPackage.version}\n`,
      stderr: '',
    });
  });

  it('the committed bin shim says in one line what to run when dist/ is not built yet', () => {
    // A copy of the shim with no dist/ beside it, as in a fresh clone right after `npm ci`.
    const bin = path.join(tmp.dir, 'cli/bin/cliphub.js');
    mkdirSync(path.dirname(bin), { recursive: true });
    copyFileSync(path.join(repoRoot, 'apps/cli', cliPackage.bin.cliphub!), bin);
    const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^cliphub: not built yet .*run `npm run build`/);
  });
});
