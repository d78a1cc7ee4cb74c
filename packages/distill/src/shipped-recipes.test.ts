import { describe, expect, it } from 'vitest';
import { DistillError } from './errors.js';
import { findRecipe, listRecipes } from './shipped-recipes.js';

describe('shipped recipes', () => {
  it('all validate and cite their sources', () => {
    const all = listRecipes();
    expect(all.map((r) => r.name)).toEqual([
      'vit-bigg-14-laion2b-to-vit-l-14',
      'vit-h-14-laion2b-to-vit-b-16',
      'vit-l-14-datacomp-to-vit-b-32-finetune',
      'vit-l-14-openai-to-vit-b-32',
      'vit-so400m-14-siglip-to-vit-b-16-siglip',
    ]);
    for (const r of all) expect(findRecipe(r.path).recipe.sources.length).toBeGreaterThanOrEqual(3);
  });

  it('are found by name, with a suggestion for a near miss', () => {
    expect(findRecipe('vit-l-14-openai-to-vit-b-32').recipe.teacher).toEqual({
      model: 'ViT-L-14',
      pretrained: 'openai',
    });
    try {
      findRecipe('vit-l-14-openai-to-vit-b-16');
      throw new Error('found');
    } catch (e) {
      expect(e).toBeInstanceOf(DistillError);
      expect((e as DistillError).message).toMatch(
        /no recipe file or shipped recipe named 'vit-l-14-openai-to-vit-b-16' \(did you mean vit-l-14-openai-to-vit-b-32/,
      );
    }
  });
});
