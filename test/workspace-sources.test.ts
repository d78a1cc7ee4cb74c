import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot, workspaceDirs } from '#test-support';

/** Every workspace the root package.json lists that has src/index.ts: its package name and entry. */
function workspaceSources(): Array<{ name: string; entry: string }> {
  return workspaceDirs()
    .filter((dir) => existsSync(path.join(dir, 'src/index.ts')))
    .map((dir) => ({
      name: (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string }).name,
      entry: path.join(dir, 'src/index.ts'),
    }));
}

const sources = workspaceSources();

describe('tests and the type-checker see every workspace package as its source, never a stale dist/', () => {
  it('finds the apps too', () => {
    expect(sources.map((s) => s.name)).toEqual(expect.arrayContaining(['@cliphub/core', '@cliphub/hub-server']));
  });

  for (const { name, entry } of sources) {
    it(`vitest imports ${name} from ${path.relative(repoRoot, entry)}`, async () => {
      // One module instance means the name resolved to the source file itself.
      const byName: unknown = await import(/* @vite-ignore */ name);
      const bySource: unknown = await import(/* @vite-ignore */ entry);
      expect(byName).toBe(bySource);
    });
  }

  it('tsconfig.json paths resolve every workspace name to its src/index.ts', () => {
    const configFile = path.join(repoRoot, 'tsconfig.json');
    const parsed = ts.parseJsonConfigFileContent(
      ts.readConfigFile(configFile, ts.sys.readFile).config,
      ts.sys,
      repoRoot,
    );
    const from = path.join(repoRoot, 'test/workspace-sources.test.ts');
    const resolved = sources.map(({ name }) => [
      name,
      ts.resolveModuleName(name, from, parsed.options, ts.sys).resolvedModule?.resolvedFileName,
    ]);
    expect(Object.fromEntries(resolved)).toEqual(Object.fromEntries(sources.map((s) => [s.name, s.entry])));
  });
});
