import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
// Tests import workspace packages from source, so `vitest` needs no prior build.
const alias: Record<string, string> = { '#test-support': `${root}test/support` };
for (const dir of readdirSync(`${root}packages`)) {
  if (existsSync(`${root}packages/${dir}/src/index.ts`)) alias[`@cliphub/${dir}`] = `${root}packages/${dir}/src/index.ts`;
}

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
