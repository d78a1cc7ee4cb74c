import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalog } from './catalog.js';
import { mparamsFromConfig } from './params.js';
import { towerParams } from './tower-params.js';

// Real open_clip 3.3.0 parameter counts of every architecture, built on the meta device:
// tools/registry/count_params.py (which also checks them against upstream's model_profile.csv).
const COUNTED = JSON.parse(readFileSync(new URL('./param-counts.json', import.meta.url), 'utf8')) as Record<
  string,
  { total: number }
>;

describe('towerParams', () => {
  it('equals the real parameter count of every architecture it answers for', () => {
    const { architectures } = catalog();
    const answered = architectures.filter((a) => towerParams(a.config) !== null);
    for (const a of answered) expect(towerParams(a.config), a.name).toBe(COUNTED[a.name]?.total);
    expect(answered.length).toBeGreaterThan(100);
  });

  it('answers for every tower kind that upstream leaves unprofiled: native ViTs, SigLIP, MobileCLIP', () => {
    const { byArch } = catalog();
    for (const name of [
      'ViT-H-14-378',
      'ViT-bigG-14-worldwide',
      'ViT-gopt-16-SigLIP2-384',
      'MobileCLIP2-S4',
      'MobileCLIP-B',
    ])
      expect(towerParams(byArch.get(name)!.config), name).not.toBeNull();
    expect(towerParams(byArch.get('swin_base_patch4_window7_224')!.config)).toBeNull();
  });

  it('computes every architecture with a pretrained tag from its config alone', () => {
    const { architectures } = catalog();
    for (const a of architectures.filter((x) => x.tags.length > 0))
      expect(mparamsFromConfig(a.config), a.name).toBe(Math.round(COUNTED[a.name]!.total / 1e4) / 100);
  });

  it('gives every pretrained pair its parameter count in millions, as upstream rounds it', () => {
    const { pretrained } = catalog();
    for (const e of pretrained) expect(e.mparams, e.name).toBe(Math.round(COUNTED[e.arch]!.total / 1e4) / 100);
  });
});
