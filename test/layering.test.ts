import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '#test-support';
// @ts-expect-error: a plain-JS tool script without declarations
import { layersOf, readWorkspaces, readmeWithDiagram } from '../tools/layers.mjs';

interface Workspace {
  name: string;
  dir: string;
  kind: 'package' | 'app';
  dependencies: string[];
  devDependencies: string[];
}
interface SourceImport {
  file: string; // relative to the repo
  specifier: string;
  test: boolean;
}

const workspaces = readWorkspaces() as Workspace[];

const isTestFile = (file: string): boolean =>
  /\.(test|bench)\.ts$/.test(file) || /(^|\/)(test-utils|bench)\//.test(file);

/** Every import specifier (static, dynamic, re-export) of every .ts file under a workspace's src/ and bench/. */
function importsOf(workspace: Workspace): SourceImport[] {
  const out: SourceImport[] = [];
  for (const sub of ['src', 'bench']) {
    const base = path.join(repoRoot, workspace.dir, sub);
    let entries: string[];
    try {
      entries = readdirSync(base, { recursive: true, encoding: 'utf8' });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (!entry.endsWith('.ts') || entry.includes('generated')) continue;
      const file = path.join(workspace.dir, sub, entry);
      const info = ts.preProcessFile(readFileSync(path.join(repoRoot, file), 'utf8'), true, true);
      for (const ref of info.importedFiles)
        out.push({ file, specifier: ref.fileName, test: sub === 'bench' || isTestFile(file) });
    }
  }
  return out;
}

/**
 * What points the wrong way, one line each: a package depending on an app, a dependency cycle, an import of a
 * workspace its package.json does not declare (runtime code: `dependencies`; tests: either list), and a relative
 * import that leaves its workspace.
 */
export function layeringViolations(all: Workspace[], imports: Map<string, SourceImport[]>): string[] {
  const problems: string[] = [];
  const byName = new Map(all.map((w) => [w.name, w]));
  for (const w of all) {
    for (const dep of [...w.dependencies, ...w.devDependencies])
      if (w.kind === 'package' && byName.get(dep)?.kind === 'app')
        problems.push(`${w.name} (a package) depends on ${dep} (an app)`);
  }
  try {
    layersOf(all.map((w) => ({ ...w, dependencies: [...w.dependencies, ...w.devDependencies] })));
  } catch (e) {
    problems.push((e as Error).message);
  }
  for (const w of all) {
    for (const imp of imports.get(w.name) ?? []) {
      const target = [...byName.keys()].find((n) => imp.specifier === n || imp.specifier.startsWith(`${n}/`));
      if (target && target !== w.name) {
        const declared = imp.test ? [...w.dependencies, ...w.devDependencies] : w.dependencies;
        if (!declared.includes(target))
          problems.push(`${imp.file} imports ${target}, which ${w.name}'s package.json does not list`);
      }
      if (imp.specifier.startsWith('.')) {
        const resolved = path.relative(w.dir, path.join(path.dirname(imp.file), imp.specifier));
        if (resolved.startsWith('..')) problems.push(`${imp.file} reaches outside ${w.dir} with '${imp.specifier}'`);
      }
    }
  }
  return problems;
}

describe('dependencies point one way: apps → packages → lower packages', () => {
  const imports = new Map(workspaces.map((w) => [w.name, importsOf(w)]));

  it('reads every workspace and its imports', () => {
    expect(workspaces.filter((w) => w.kind === 'app').length).toBeGreaterThan(0);
    expect(workspaces.find((w) => w.name === '@cliphub/core')?.dependencies).toEqual([]);
    expect([...imports.values()].flat().length).toBeGreaterThan(500);
  });

  it('nothing points the wrong way', () => {
    expect(layeringViolations(workspaces, imports)).toEqual([]);
  });

  it('@cliphub/convert does not pull in the runtime (onnxruntime, sharp, the Hub client)', () => {
    expect(workspaces.find((w) => w.name === '@cliphub/convert')?.dependencies).not.toContain('@cliphub/runtime');
  });

  it('a planted wrong import is caught: a package importing an app, undeclared, and a relative path out', () => {
    const planted = workspaces.map((w) =>
      w.name === '@cliphub/safetensors' ? { ...w, dependencies: [...w.dependencies, 'cliphub'] } : w,
    );
    const plantedImports = new Map(imports);
    plantedImports.set('@cliphub/core', [
      { file: 'packages/core/src/x.ts', specifier: '@cliphub/hub', test: false },
      { file: 'packages/core/src/y.ts', specifier: '../../hub-server/src/index.js', test: false },
    ]);
    const before = new Set(layeringViolations(workspaces, imports));
    expect(layeringViolations(planted, plantedImports).filter((line) => !before.has(line))).toEqual([
      '@cliphub/safetensors (a package) depends on cliphub (an app)',
      expect.stringMatching(/^dependency cycle through /),
      "packages/core/src/x.ts imports @cliphub/hub, which @cliphub/core's package.json does not list",
      "packages/core/src/y.ts reaches outside packages/core with '../../hub-server/src/index.js'",
    ]);
  });

  it("the README's architecture diagram is the one rendered from the package.json files", () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    expect(readme, 'run: node tools/layers.mjs --write').toBe(readmeWithDiagram(readme, workspaces));
  });
});
