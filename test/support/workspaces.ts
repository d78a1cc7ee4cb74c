import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths.js';

/** The workspace folders the root package.json lists, `dir/*` globs expanded to sub-folders holding a package.json. */
export function workspaceDirs(root = repoRoot): string[] {
  const { workspaces } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  const dirs: string[] = [];
  for (const pattern of workspaces) {
    if (!pattern.endsWith('/*')) {
      dirs.push(path.join(root, pattern));
      continue;
    }
    const parent = path.join(root, pattern.slice(0, -2));
    for (const entry of readdirSync(parent, { withFileTypes: true }))
      if (entry.isDirectory() && existsSync(path.join(parent, entry.name, 'package.json')))
        dirs.push(path.join(parent, entry.name));
  }
  return dirs.sort();
}
