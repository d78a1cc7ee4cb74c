import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { catalog } from './catalog.js';
import { readOpenClipConfigDir } from './config-file.js';
import { RegistryError } from './errors.js';
import { readValidatedJson } from './read-validated-json.js';
import { userRegistrySchema, type UserRegistryFile } from './schema.js';

export type UserModel = UserRegistryFile['models'][number];

/** $CLIPHUB_HOME/models.json, else ~/.cliphub/models.json. */
export function userRegistryFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.CLIPHUB_HOME || path.join(homedir(), '.cliphub'), 'models.json');
}

/** The user's registered models; none when the file does not exist. */
export function readUserRegistry(file: string = userRegistryFile()): UserModel[] {
  if (!existsSync(file)) return [];
  const advice = 'fix it or delete it to start over.';
  const parsed = readValidatedJson(file, userRegistrySchema, {
    code: 'BAD_CONFIG',
    badJson: (reason) => `user registry ${file} is not valid JSON (${reason}); ${advice}`,
    badSchema: (issues) => `user registry ${file} fails its schema (${issues}); ${advice}`,
  });
  return parsed.models;
}

export interface AddLocalModelOptions {
  registryFile?: string;
  /** Defaults to the folder's name. */
  name?: string;
}

const NAME = /^[A-Za-z0-9][\w.+-]*$/;

/**
 * Registers DIR (which must hold a valid open_clip_config.json) under a name, so listPretrained()
 * lists it and resolve(name) finds it. Re-adding a name replaces it. Names of built-in architectures
 * are refused, since a spec must mean one thing.
 */
export function addLocalModel(dir: string, options: AddLocalModelOptions = {}): UserModel {
  const abs = path.resolve(dir);
  const config = readOpenClipConfigDir(abs);
  const name = options.name ?? path.basename(abs);
  if (!NAME.test(name) || name.includes(':')) {
    throw new RegistryError(
      'BAD_SPEC',
      `'${name}' is not a usable model name; use letters, digits and - _ . + (pass --name).`,
    );
  }
  if (catalog().byArch.has(name)) {
    throw new RegistryError(
      'NAME_TAKEN',
      `'${name}' is an open_clip architecture name; register the folder under another name (--name).`,
    );
  }
  const file = options.registryFile ?? userRegistryFile();
  const models = readUserRegistry(file).filter((m) => m.name !== name);
  const model: UserModel = { name, path: abs, addedAt: new Date().toISOString(), config };
  models.push(model);
  models.sort((a, b) => a.name.localeCompare(b.name));
  mkdirSync(path.dirname(file), { recursive: true });
  // Write-then-rename so a crash never leaves a half-written registry.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ schemaVersion: 1, models } satisfies UserRegistryFile, null, 2)}\n`);
  renameSync(tmp, file);
  return model;
}
