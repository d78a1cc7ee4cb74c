import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { needsShared, sharedUpstream } from '#test-support';
import { resolveMobileClip } from './mobileclip-arch.js';
import { towerSupport } from './tower-support.js';
import type { ModelCfg } from './types.js';

const configs = sharedUpstream ? path.join(sharedUpstream, 'model_configs') : '';

describe.skipIf(!needsShared('open_clip 3.3.0 model configs'))('MobileCLIP configs', () => {
  const names = configs ? readdirSync(configs).filter((f) => f.startsWith('MobileCLIP')) : [];
  const cfgOf = (f: string) => JSON.parse(readFileSync(path.join(configs, f), 'utf8')) as ModelCfg;

  it('every upstream MobileCLIP and MobileCLIP2 config exports both towers', () => {
    expect(names.length).toBe(9);
    for (const f of names)
      expect({ f, ...towerSupport(cfgOf(f)) }).toEqual({ f, vision: { supported: true }, text: { supported: true } });
  });

  it('reads the structure from the timm name: MCi0-2 BatchNorm attention, MCi3-4 LayerNorm and 5 stages', () => {
    const s0 = resolveMobileClip(cfgOf('MobileCLIP2-S0.json'), cfgOf('MobileCLIP2-S0.json').vision_cfg);
    const s4 = resolveMobileClip(cfgOf('MobileCLIP2-S4.json'), cfgOf('MobileCLIP2-S4.json').vision_cfg);
    expect(s0).toMatchObject({ kind: 'fastvit', attnNorm: 'batchnorm', stemScaleBranch: true, image: 256 });
    expect(s4).toMatchObject({ kind: 'fastvit', attnNorm: 'layernorm', stemScaleBranch: false, outputDim: 768 });
    expect(s0?.kind === 'fastvit' && s0.stages.map((st) => st.mixer)).toEqual([
      'repmixer',
      'repmixer',
      'repmixer',
      'attention',
    ]);
    expect(s4?.kind === 'fastvit' && s4.stages.length).toBe(5);
    const b = cfgOf('MobileCLIP-B.json');
    expect(resolveMobileClip(b, b.vision_cfg)).toMatchObject({
      kind: 'mci-vit',
      stem: 'mci-conv',
      posWithClass: false,
    });
  });

  it('says why it cannot build other poolings and projections', () => {
    const cfg = cfgOf('MobileCLIP-S1.json');
    const withVision = (v: Record<string, unknown>) => ({ ...cfg, vision_cfg: { ...cfg.vision_cfg, ...v } });
    expect(towerSupport(withVision({ timm_pool: 'token' })).vision.reason).toMatch(/fastvit_mci1 with timm_pool=token/);
    expect(towerSupport(withVision({ timm_proj: 'linear' })).vision.reason).toMatch(/timm_proj=linear/);
  });
});
