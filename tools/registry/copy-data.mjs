#!/usr/bin/env node
// Copies registry/*.json into packages/registry/data/ at build time, so a published @cliphub/registry
// carries its data. Inside the monorepo the library reads registry/ directly and this copy is a fallback.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const from = path.join(root, 'registry');
const to = path.join(root, 'packages/registry/data');
mkdirSync(to, { recursive: true });
const files = readdirSync(from).filter((f) => f.endsWith('.json'));
for (const f of files) copyFileSync(path.join(from, f), path.join(to, f));
console.log(`registry: copied ${files.length} data files to packages/registry/data`);
