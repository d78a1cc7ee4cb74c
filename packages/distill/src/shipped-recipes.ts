import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closestNames } from '@cliphub/registry';
import { DistillError } from './errors.js';
import { loadRecipe, type LoadedRecipe } from './load-recipe.js';

// src/ (vitest) and dist/ (node) sit at the same depth, so one relative path serves both.
export const RECIPES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../recipes');

export interface ShippedRecipe {
  name: string;
  description: string;
  teacher: string;
  student: string;
  path: string;
}

function recipeFiles(): string[] {
  return readdirSync(RECIPES_DIR)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => path.join(RECIPES_DIR, f));
}

/** The recipes shipped with @cliphub/distill, validated. */
export function listRecipes(): ShippedRecipe[] {
  return recipeFiles().map((file) => {
    const { recipe } = loadRecipe(file);
    const spec = (m: { model: string; pretrained?: string | undefined }): string =>
      m.pretrained ? `${m.model} (${m.pretrained})` : m.model;
    return {
      name: recipe.name,
      description: recipe.description,
      teacher: spec(recipe.teacher),
      student: spec(recipe.student),
      path: file,
    };
  });
}

/** A recipe by file path, or by the name of a shipped recipe. */
export function findRecipe(nameOrPath: string): LoadedRecipe {
  if (existsSync(nameOrPath) || /[/\\]|\.(ya?ml|json)$/.test(nameOrPath)) return loadRecipe(nameOrPath);
  const all = recipeFiles().map((f) => loadRecipe(f));
  const hit = all.find((r) => r.recipe.name === nameOrPath);
  if (hit) return hit;
  const names = all.map((r) => r.recipe.name);
  const near = closestNames(nameOrPath, names);
  throw new DistillError(
    'UNKNOWN_RECIPE',
    `no recipe file or shipped recipe named '${nameOrPath}'${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; 'cliphub distill list' shows ${names.length} shipped recipes`,
  );
}
