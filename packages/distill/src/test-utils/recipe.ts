import path from 'node:path';
import type { LoadedRecipe } from '../load-recipe.js';
import { parseRecipe } from '../load-recipe.js';
import type { RecipeInput } from '../recipe-schema.js';

/** A valid single-node recipe (ViT-L-14 datacomp -> ViT-B-32) that tests change one field at a time. */
export function baseRecipe(): RecipeInput {
  return {
    name: 'test-recipe',
    description: 'a test recipe',
    sources: ['tests'],
    teacher: { model: 'ViT-L-14', pretrained: 'datacomp_xl_s13b_b90k' },
    student: { model: 'ViT-B-32' },
    data: { kind: 'webdataset', shards: '/data/{00000..00999}.tar', samples: 10_000_000 },
    schedule: { epochs: 2, warmup: 100, lr: 5e-4, wd: 0.2, batchPerGpu: 256, precision: 'amp_bf16' },
    loss: { mode: 'distill+contrastive' },
    hardware: { nodes: 1, gpusPerNode: 8, gpu: 'A100-80GB' },
    launcher: { kind: 'torchrun' },
    logging: { dir: '/logs', name: 'run' },
  };
}

/** Validates a recipe object as if read from DIR/recipe.yaml. */
export function asLoaded(input: RecipeInput, dir = process.cwd()): LoadedRecipe {
  const file = path.join(dir, 'recipe.yaml');
  return { recipe: parseRecipe(input, file), file };
}
