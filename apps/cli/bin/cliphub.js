#!/usr/bin/env node
// The `cliphub` command. npm links a package's bin at install time only if the file exists, and dist/ is built
// after `npm ci`, so the bin is this committed file: it runs the build, or says in one line how to make it.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const entry = new URL('../dist/bin.js', import.meta.url);
if (existsSync(fileURLToPath(entry))) {
  await import(entry.href);
} else {
  process.stderr.write(
    `cliphub: not built yet (${fileURLToPath(entry)} is missing); run \`npm run build\` in the cliphub checkout, then retry\n`,
  );
  process.exitCode = 2;
}
