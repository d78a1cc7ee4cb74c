import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { DistillError } from './errors.js';
import { recipeSchema, type Recipe } from './recipe-schema.js';
import { MAX_CONFIG_FILE_BYTES, readSmallTextFile } from '@cliphub/core';

export interface LoadedRecipe {
  recipe: Recipe;
  /** The recipe file (absolute); relative paths inside it resolve against its folder. */
  file: string;
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`)
    .join('; ');
}

/** Parses and validates a recipe object (already read from YAML or JSON). */
export function parseRecipe(raw: unknown, source: string): Recipe {
  const parsed = recipeSchema.safeParse(raw);
  if (!parsed.success)
    throw new DistillError('BAD_RECIPE', `${source} is not a valid distill recipe: ${describe(parsed.error)}`);
  return parsed.data;
}

/** Reads a recipe file (.yaml, .yml or .json) and validates it. */
export function loadRecipe(file: string): LoadedRecipe {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = readSmallTextFile(abs, MAX_CONFIG_FILE_BYTES, 'recipe');
  } catch (e) {
    throw new DistillError(
      'UNKNOWN_RECIPE',
      `${(e as Error).message.replace(/; [^;]*$/, '')}; give a recipe file or a name from 'cliphub distill list'`,
    );
  }
  let raw: unknown;
  try {
    raw = abs.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new DistillError(
      'BAD_RECIPE',
      `${abs} is not readable ${abs.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  return { recipe: parseRecipe(raw, abs), file: abs };
}
