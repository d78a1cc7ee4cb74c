import { describe, expect, it } from 'vitest';
import { listArchitectures } from './list.js';

describe('family / tower classification over the 144 configs', () => {
  const byName = new Map(listArchitectures().map((a) => [a.name, a]));
  it.each([
    ['RN50', 'modified-resnet', 'modified-resnet'],
    ['ViT-B-32', 'native-vit', 'native-vit'],
    ['convnext_base_w', 'timm-convnext', 'timm-convnext'],
    ['ViT-B-16-SigLIP', 'timm-siglip-vit', 'timm-siglip-vit'],
    ['ViT-SO400M-16-SigLIP2-256', 'timm-siglip2-vit', 'timm-siglip2-vit'],
    ['ViT-SO400M-16-SigLIP-i18n-256', 'timm-siglip-vit', 'timm-siglip-vit'],
    ['EVA02-L-14', 'timm-eva', 'timm-eva'],
    ['ViTamin-L', 'timm-vitamin', 'timm-vitamin'],
    ['MobileCLIP-S1', 'timm-mobileclip', 'timm-mobileclip'],
    ['MobileCLIP2-L-14', 'timm-mobileclip', 'timm-mobileclip'],
    ['PE-Core-B-16', 'timm-pe-core', 'timm-pe-core'],
    ['xlm-roberta-base-ViT-B-32', 'hf-text', 'native-vit'],
    ['nllb-clip-base-siglip', 'hf-text', 'timm-siglip-vit'],
    ['coca_ViT-B-32', 'coca', 'native-vit'],
  ])('%s is %s (vision %s)', (name, family, vision) => {
    const a = byName.get(name)!;
    expect(a.family).toBe(family);
    expect(a.visionTower).toBe(vision);
  });

  it('lists runtime pieces from the towers and tokenizer', () => {
    expect(byName.get('ViT-B-32')!.runtime).toEqual(['clip-bpe-tokenizer']);
    expect(byName.get('xlm-roberta-base-ViT-B-32')!.runtime).toEqual(['hf-text-model', 'hf-tokenizer']);
    expect(byName.get('ViT-B-16-SigLIP')!.runtime).toEqual(['timm-vision', 'hf-tokenizer']);
  });

  it('marks the -quickgelu aliases of identical configs', () => {
    expect(byName.get('ViT-B-32-quickgelu')!.quickGeluAliasOf).toBe('ViT-B-32');
    expect(byName.get('RN50-quickgelu')!.quickGeluAliasOf).toBe('RN50');
    expect(listArchitectures()).toHaveLength(144);
  });
});
