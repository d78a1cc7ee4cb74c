import { describe, expect, it } from 'vitest';
import { cardFacts, filterModels, type ModelSummary } from './models.js';

const row = (id: string, lastModified: string, cliphub?: Record<string, unknown>): ModelSummary => {
  const cardData = cliphub ? { cliphub } : null;
  return {
    id,
    author: id.split('/')[0] as string,
    sha: '0'.repeat(40),
    lastModified,
    createdAt: lastModified,
    private: false,
    tags: [],
    cardData,
    facts: cardFacts(cardData),
  };
};

describe('model list queries', () => {
  const rows = [
    row('acme/vit-b', '2026-01-02', { family: 'native-vit', activation: 'gelu', params: 151e6 }),
    row('acme/rn50', '2026-01-03', { family: 'modified-resnet', activation: 'quick_gelu', params: 102e6 }),
    row('zed/tiny', '2026-01-01', { family: 'native-vit', activation: 'gelu', params: 5e6 }),
    row('zed/plain', '2026-01-04'),
  ];
  const ids = (q: Parameters<typeof filterModels>[1]): string[] => filterModels(rows, q).map((r) => r.id);

  it('sorts newest first by default, by name when asked', () => {
    expect(ids({})).toEqual(['zed/plain', 'acme/rn50', 'acme/vit-b', 'zed/tiny']);
    expect(ids({ sort: 'id', direction: 1 })).toEqual(['acme/rn50', 'acme/vit-b', 'zed/plain', 'zed/tiny']);
  });

  it('searches names case-insensitively and filters by the card facts', () => {
    expect(ids({ search: 'VIT' })).toEqual(['acme/vit-b']);
    expect(ids({ family: 'native-vit' })).toEqual(['acme/vit-b', 'zed/tiny']);
    expect(ids({ activation: 'quick_gelu' })).toEqual(['acme/rn50']);
    expect(ids({ params: 'lt100m' })).toEqual(['zed/tiny']);
    expect(ids({ params: '100m-500m', family: 'native-vit' })).toEqual(['acme/vit-b']);
    expect(ids({ params: 'no-such-bucket' })).toEqual([]);
    expect(ids({ author: 'zed' })).toEqual(['zed/plain', 'zed/tiny']);
  });

  it('reads only well-typed facts', () => {
    expect(cardFacts({ cliphub: { family: 3, params: -1, activation: 'gelu' } })).toEqual({ activation: 'gelu' });
    expect(cardFacts({ cliphub: ['x'] })).toEqual({});
    expect(cardFacts(null)).toEqual({});
  });
});
