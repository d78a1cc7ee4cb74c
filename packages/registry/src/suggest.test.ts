import { describe, expect, it } from 'vitest';
import { closestNames, editDistance } from './suggest.js';

describe('closestNames', () => {
  it('measures edit distance case-insensitively', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('ViT-B-32', 'vit-b-32')).toBe(0);
  });

  it('ranks the nearest names first and drops far ones', () => {
    expect(closestNames('ViT-B-23', ['RN50', 'ViT-B-32', 'ViT-B-16', 'convnext_xxlarge'])).toEqual([
      'ViT-B-32',
      'ViT-B-16',
    ]);
    expect(closestNames('zzzzzzzz', ['ViT-B-32'])).toEqual([]);
  });
});

describe('closestNames on parts of names', () => {
  it('matches a misspelt part of a longer name', () => {
    expect(closestNames('convnxt', ['timm-convnext', 'timm-eva', 'coca'])).toEqual(['timm-convnext']);
    expect(closestNames('laion2b_s34b_b97k', ['openai', 'laion2b_s34b_b79k', 'laion2b_e16'])[0]).toBe(
      'laion2b_s34b_b79k',
    );
  });
});
