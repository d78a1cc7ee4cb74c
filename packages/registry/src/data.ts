import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { RegistryError } from './errors.js';
import { readValidatedJson } from './read-validated-json.js';
import {
  architecturesFileSchema,
  pretrainedFileSchema,
  towersFileSchema,
  type ArchitecturesFile,
  type PretrainedFile,
  type TowersFile,
} from './schema.js';

export interface RegistryData {
  dir: string;
  architectures: ArchitecturesFile;
  pretrained: PretrainedFile;
  towers: TowersFile;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Where the registry data lives. src/ (vitest) and dist/ (node) sit at the same depth, so one relative
 * path serves both: first the monorepo's registry/ (always current), then the copy `npm run build`
 * puts in the package's data/ (what a published package carries). $CLIPHUB_REGISTRY_DIR overrides both.
 */
export function registryDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env.CLIPHUB_REGISTRY_DIR, path.resolve(here, '../../../registry'), path.resolve(here, '../data')];
  for (const dir of candidates) {
    if (dir && existsSync(path.join(dir, 'pretrained.json'))) return dir;
  }
  throw new RegistryError(
    'BAD_DATA',
    `registry data not found (looked in ${candidates.filter(Boolean).join(', ')}); run 'npm run build -w @cliphub/registry' or set CLIPHUB_REGISTRY_DIR`,
  );
}

const REGENERATE = 'regenerate it with tools/registry/generate.mjs';

function readValidated<T>(file: string, schema: z.ZodType<T>): T {
  return readValidatedJson(file, schema, {
    code: 'BAD_DATA',
    badJson: (reason) => `registry data ${file} is not readable JSON (${reason}); ${REGENERATE}`,
    badSchema: (issues) => `registry data ${file} fails its schema: ${issues}; ${REGENERATE}`,
  });
}

let cached: RegistryData | undefined;

/** Loads and schema-checks the registry data once per process. */
export function loadRegistryData(): RegistryData {
  if (cached) return cached;
  const dir = registryDataDir();
  cached = {
    dir,
    architectures: readValidated(path.join(dir, 'architectures.json'), architecturesFileSchema),
    pretrained: readValidated(path.join(dir, 'pretrained.json'), pretrainedFileSchema),
    towers: readValidated(path.join(dir, 'towers.json'), towersFileSchema),
  };
  return cached;
}
