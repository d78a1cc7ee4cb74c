import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasOracle, pythonJson } from '#test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { listPretrained } from './list.js';
import { resolve } from './resolve.js';
import type { ModelCfg } from './types.js';

interface Decision {
  model_cfg: ModelCfg;
  pretrained_cfg: Record<string, unknown>;
  plain_quick_gelu: boolean;
  plain_mismatch_warning: boolean;
  forced_quick_gelu: boolean;
  preprocess_cfg: Record<string, unknown>;
  vision_acts: string[];
  text_acts: string[] | null;
}

// One tag per family (and every QuickGELU edge: tag-forced, -quickgelu alias, config-only, ModifiedResNet,
// HF text tower, CoCa, timm towers of every kind).
const PAIRS = [
  'RN50:openai', 'RN50-quickgelu:openai', 'RN101:yfcc15m', 'RN50x4:openai',
  'ViT-B-32:openai', 'ViT-B-32-quickgelu:metaclip_400m', 'ViT-B-32:laion2b_s34b_b79k', 'ViT-B-16:dfn2b',
  'ViT-L-14-336:openai', 'ViT-H-14-378-quickgelu:dfn5b', 'ViT-H-14-worldwide:metaclip2_worldwide', 'ViT-H-14-worldwide-378:metaclip2_worldwide',
  'ViT-L-14-CLIPA:datacomp1b',
  'roberta-ViT-B-32:laion2b_s12b_b32k', 'xlm-roberta-base-ViT-B-32:laion5b_s13b_b90k', 'nllb-clip-base-siglip:v1',
  'coca_ViT-B-32:laion2b_s13b_b90k', 'convnext_base_w:laion2b_s13b_b82k_augreg', 'EVA02-B-16:merged2b_s8b_b131k',
  'ViT-B-16-SigLIP:webli', 'ViT-B-16-SigLIP2-256:webli', 'ViT-SO400M-16-SigLIP-i18n-256:webli',
  'MobileCLIP-S1:datacompdr', 'MobileCLIP2-S0:dfndr2b', 'ViTamin-S:datacomp1b', 'PE-Core-B-16:meta',
];

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'test-utils/open_clip_decisions.py');

describe.skipIf(!hasOracle)('resolve() agrees with what open_clip 3.3.0 builds', () => {
  let oracle: Record<string, Decision>;
  beforeAll(() => {
    // One Python process for every pair: create_model runs for real with weights and model construction stubbed.
    oracle = pythonJson<Record<string, Decision>>(`import runpy, sys; sys.argv = [${JSON.stringify(script)}, *sys.argv[1:]]; runpy.run_path(sys.argv[0], run_name='__main__')`, PAIRS);
  });

  it('samples at least 20 registered pairs across families', () => {
    const known = new Set(listPretrained({}, { registryFile: false }).map((e) => e.name));
    for (const p of PAIRS) expect(known.has(p), p).toBe(true);
    expect(PAIRS.length).toBeGreaterThanOrEqual(20);
    expect(Object.keys(oracle).sort()).toEqual([...PAIRS].sort());
  });

  it.each(PAIRS)('%s: model_cfg, preprocess_cfg, quick_gelu and activations', async (pair) => {
    const o = oracle[pair]!;
    const r = await resolve(pair, { registryFile: false });
    // The QuickGELU cliphub decides is what create_model builds when the tag's flag is honoured
    // (force_quick_gelu=tag.quick_gelu, i.e. the '-quickgelu' alias behaviour).
    expect(r.quickGelu).toBe(o.forced_quick_gelu);
    const expectedCfg = structuredClone(o.model_cfg);
    if (o.forced_quick_gelu && expectedCfg.quick_gelu !== true) expectedCfg.quick_gelu = true;
    expect(r.modelCfg).toStrictEqual(expectedCfg);
    // Where plain create_model(arch, tag) disagrees with the tag (it warns), cliphub says so.
    const noted = r.notes.some((n) => /quick_gelu/i.test(n) && n.includes(pair.split(':')[1]!));
    expect(noted).toBe(o.plain_mismatch_warning);
    expect(o.plain_mismatch_warning).toBe(o.plain_quick_gelu !== Boolean(o.pretrained_cfg.quick_gelu));
    expect(r.preprocessCfg).toStrictEqual(o.preprocess_cfg);
    // Weight source: the tag's hf_hub (which open_clip prefers) and its URL.
    const hub = String(o.pretrained_cfg.hf_hub ?? '');
    if (hub) expect(r.weights).toMatchObject({ kind: 'hf-hub', repo: hub.split('/').slice(0, 2).join('/') });
    // Activations, read off the towers open_clip built (the forced build).
    expect(o.vision_acts).toContain(r.activation.vision);
    if (o.text_acts) expect(o.text_acts).toEqual([r.activation.text]);
  });
});
