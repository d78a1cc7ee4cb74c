import { describe, expect, it } from 'vitest';
import { closestNames, editDistance } from './suggest.js';

describe('closestNames', () => {
  it('measures edit distance case-insensitively', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('ViT-B-32', 'vit-b-32')).toBe(0);
  });

  it('ranks the nearest names first and drops far ones', () => {
    expect(closestNames('ViT-B-23', ['RN50', 'ViT-B-32', 'ViT-B-16', 'convnext_xxlarge'])).toEqual(['ViT-B-32', 'ViT-B-16']);
    expect(closestNames('zzzzzzzz', ['ViT-B-32'])).toEqual([]);
  });
});
