import { listArchitectures, listPretrained, resolve } from '@cliphub/registry';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildModelCard } from './model-card.js';
import { matchArchitecture, modelCfgDiff, registryCardFacts } from './registry-facts.js';

/** Same keys, reversed order at every level: matching must not depend on key order. */
function reversedKeys(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(reversedKeys);
  if (x && typeof x === 'object')
    return Object.fromEntries(
      Object.entries(x)
        .reverse()
        .map(([k, v]) => [k, reversedKeys(v)]),
    );
  return x;
}

describe('registry facts in the model card', () => {
  const entry = listPretrained({}, { registryFile: false }).find((e) => e.name === 'ViT-B-32:laion2b_s34b_b79k');

  it("puts a real registry entry's params, FLOPs, zero-shot results and base_model in the card", () => {
    expect(entry).toBeDefined();
    const e = entry!;
    const facts = registryCardFacts(e);
    expect(facts.baseModel).toBe('laion/CLIP-ViT-B-32-laion2B-s34B-b79K');
    const card = buildModelCard({ repo: 'org/vit-b-32', license: 'mit', datasets: ['laion/laion2B-en'], ...facts });
    const fm = parse(card.split('---')[1] as string) as Record<string, unknown>;
    expect(fm.base_model).toBe('laion/CLIP-ViT-B-32-laion2B-s34B-b79K');
    expect(fm.license).toBe('mit');
    expect(fm.datasets).toEqual(['laion/laion2B-en']);
    // the card's numbers are the registry's, formatted
    expect(card).toContain(`| Parameters | ${e.mparams!.toFixed(1)} M |`);
    expect(card).toContain(`| GFLOPs | ${e.gflops} |`);
    expect(card).toContain(`| ImageNet-1k | top-1 | ${e.imagenet1k} |`);
    expect(card).toContain(`| 38-dataset average (open_clip benchmark) | mean | ${e.avg38} |`);
    expect(card).toContain('| open_clip pretrained tag | ViT-B-32:laion2b_s34b_b79k |');
    expect(card).toMatch(
      /Published results \(open_clip's published profile and results for ViT-B-32:laion2b_s34b_b79k\)/,
    );
  });

  it('leaves out what the registry does not know, and has no base_model without a Hub repo', () => {
    // every open_clip 3.3.0 tag has a Hub mirror; a URL-only entry (as user data may be) has no base_model
    expect(registryCardFacts({ ...entry!, hfHub: null }).baseModel).toBeUndefined();
    const bare = registryCardFacts({
      name: 'X:y',
      arch: 'X',
      tag: 'y',
      mparams: null,
      gflops: null,
      imagenet1k: null,
      avg38: null,
      hfHub: null,
    });
    expect(bare).toEqual({
      architecture: 'X',
      pretrained: 'X:y',
      factsSource: "open_clip's published profile and results for X:y",
    });
    expect(buildModelCard({ repo: 'o/m', ...bare })).not.toMatch(/Zero-shot|Parameters/);
  });

  it('recovers the architecture from an unmodified config, QuickGELU included', async () => {
    const archs = listArchitectures();
    const b32 = await resolve('ViT-B-32', { registryFile: false });
    expect(matchArchitecture(reversedKeys(b32.modelCfg), archs)?.name).toBe('ViT-B-32');
    expect(matchArchitecture({ ...b32.modelCfg, quick_gelu: false }, archs)?.name).toBe('ViT-B-32');
    expect(matchArchitecture({ ...b32.modelCfg, quick_gelu: true }, archs)?.name).toBe('ViT-B-32-quickgelu');
    const wider = { ...b32.modelCfg, vision_cfg: { ...b32.modelCfg.vision_cfg, width: 1024 } };
    expect(matchArchitecture(wider, archs)).toBeNull();
    expect(modelCfgDiff(wider, b32.modelCfg)).toEqual(['vision_cfg.width']);
    expect(modelCfgDiff({ ...b32.modelCfg, quick_gelu: false }, b32.modelCfg)).toEqual([]);
    const facts = registryCardFacts(matchArchitecture(b32.modelCfg, archs)!);
    expect(facts.architecture).toBe('ViT-B-32');
    expect(facts.pretrained).toBeUndefined();
    expect(facts.zeroShot).toBeUndefined();
    expect(facts.baseModel).toBeUndefined();
  });
});
