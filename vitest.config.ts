import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
// Tests import workspace packages from source, so `vitest` needs no prior build. Every workspace the root
// package.json lists (packages/* and apps/*) that has src/index.ts is mapped by its package name.
const alias: Record<string, string> = { '#test-support': `${root}test/support` };
const workspaces = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { workspaces: string[] }).workspaces;
for (const pattern of workspaces) {
  const parent = pattern.endsWith('/*') ? pattern.slice(0, -2) : null;
  const dirs = parent
    ? readdirSync(path.join(root, parent), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => path.join(root, parent, d.name))
    : [path.join(root, pattern)];
  for (const dir of dirs) {
    const entry = path.join(dir, 'src/index.ts');
    if (!existsSync(entry) || !existsSync(path.join(dir, 'package.json'))) continue;
    const { name } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string };
    alias[name] = entry;
  }
}

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Generous: test files now run side by side, so a slow test shares the cores with another file's.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // vitest's default is one fewer worker than cores: one on a 2-core CI machine, which then idles through
    // every Python start-up, npm install and server round trip. Much of the suite waits on such child
    // processes, so run as many files as there are cores (at least 2, at most 4: the full-size models use
    // several GiB each).
    maxWorkers: Math.min(4, Math.max(2, availableParallelism())),
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
