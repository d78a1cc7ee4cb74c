import path from 'node:path';
import { tempDir, writeOpenClipConfig } from '#test-support';
import { describe, expect, it } from 'vitest';
import { listPretrained } from './list.js';
import { searchModels } from './search.js';
import { addLocalModel, readUserRegistry } from './user-registry.js';

const none = { registryFile: false as const };

describe('listPretrained', () => {
  it('lists the 196 open_clip pairs with derived facts', () => {
    const all = listPretrained({}, none);
    expect(all).toHaveLength(196);
    const b32 = all.find((e) => e.name === 'ViT-B-32:laion2b_s34b_b79k')!;
    expect(b32).toMatchObject({
      family: 'native-vit',
      mparams: 151.28,
      imageSize: [224, 224],
      contextLength: 77,
      quickGelu: false,
    });
    expect(b32.imagenet1k).toBeCloseTo(0.6656, 4);
    // A -quickgelu alias borrows its base's profile and results for the same weights, and says so.
    const alias = all.find((e) => e.name === 'ViT-B-16-quickgelu:openai')!;
    expect(alias.mparams).toBe(all.find((e) => e.name === 'ViT-B-16:openai')!.mparams);
    expect(alias.provenance.imagenet1k).toMatch(/ViT-B-16\/openai/);
  });

  it('filters by family, accuracy, params and QuickGELU', () => {
    const siglip = listPretrained({ family: 'siglip' }, none);
    expect(siglip.length).toBeGreaterThan(20);
    expect(siglip.every((e) => [e.family, e.visionTower].some((f) => f.includes('siglip')))).toBe(true);
    const good = listPretrained({ minImagenet: 0.8 }, none);
    expect(good.length).toBeGreaterThan(0);
    expect(good.every((e) => e.imagenet1k! >= 0.8)).toBe(true);
    const small = listPretrained({ maxParams: 110 }, none);
    expect(small.every((e) => e.mparams! <= 110)).toBe(true);
    expect(small.length).toBeLessThan(60);
    expect(small.map((e) => e.arch)).toContain('RN50');
    const quick = listPretrained({ quickGelu: true }, none);
    expect(quick.map((e) => e.name)).toContain('ViT-B-32:openai');
    expect(() => listPretrained({ family: 'transformr' }, none)).toThrow(/no family matches 'transformr'/);
  });

  it('adds user-registered models after the 196 only when the registry file has some', () => {
    const tmp = tempDir();
    try {
      const file = path.join(tmp.dir, 'models.json');
      expect(listPretrained({}, { registryFile: file })).toHaveLength(196);
      const dir = writeOpenClipConfig(path.join(tmp.dir, 'my-model'), {
        embed_dim: 8,
        vision_cfg: { image_size: 32, layers: 1, width: 16, patch_size: 8 },
        text_cfg: {},
      });
      addLocalModel(dir, { registryFile: file });
      addLocalModel(dir, { registryFile: file }); // re-adding replaces
      expect(readUserRegistry(file)).toHaveLength(1);
      const all = listPretrained({}, { registryFile: file });
      expect(all).toHaveLength(197);
      expect(all[196]).toMatchObject({ name: 'my-model', source: 'user', tag: null, path: dir, imageSize: [32, 32] });
      expect(() => addLocalModel(dir, { registryFile: file, name: 'ViT-B-32' })).toThrow(/open_clip architecture name/);
      expect(searchModels('my-mod', { registryFile: file })[0]).toMatchObject({ name: 'my-model', kind: 'user' });
    } finally {
      tmp.cleanup();
    }
  });
});

describe('searchModels', () => {
  it('matches all words, exact names first, with a fuzzy fallback', () => {
    expect(searchModels('ViT-B-32:openai', none)[0]!.name).toBe('ViT-B-32:openai');
    const hits = searchModels('so400m siglip2', none);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.name.toLowerCase().includes('so400m') && h.family.includes('siglip2'))).toBe(true);
    expect(searchModels('ViT-B-23', none).map((h) => h.arch)).toContain('ViT-B-32');
    expect(searchModels('ViT-B-32-256', none)[0]!.name).toBe('ViT-B-32-256:datacomp_s34b_b86k');
    expect(searchModels('vit_medium_patch16_gap_256', none)[0]).toMatchObject({ kind: 'architecture', tag: null });
  });
});
