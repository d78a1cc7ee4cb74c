import { describe, expect, it } from 'vitest';
import { listArchitectures } from './list.js';
import { peCoreMparams as mparamsFromConfig } from './config-mparams.js';

// Parameter counts of open_clip.create_model(arch, device='meta') in the oracle venv (open_clip 3.3.0, timm).
const ORACLE: Record<string, number> = {
  'PE-Core-T-16-384': 69_546_113,
  'PE-Core-S-16-384': 87_188_225,
  'PE-Core-B-16': 447_660_545,
  'PE-Core-L-14-336': 671_138_817,
  'PE-Core-bigG-14-448': 2_419_267_841,
};

describe('mparamsFromConfig', () => {
  it('matches the real model parameter count of every PE-Core architecture, and the catalog uses it', () => {
    const archs = listArchitectures();
    for (const [name, params] of Object.entries(ORACLE)) {
      const arch = archs.find((a) => a.name === name);
      expect(arch, name).toBeDefined();
      expect(mparamsFromConfig(arch!.config), name).toBe(Math.round(params / 1e4) / 100);
      expect(arch!.mparams, name).toBe(Math.round(params / 1e4) / 100);
    }
  });

  it('leaves other architectures to the upstream tables', () => {
    const vitB = listArchitectures().find((a) => a.name === 'ViT-B-32');
    expect(mparamsFromConfig(vitB!.config)).toBeNull();
  });
});
