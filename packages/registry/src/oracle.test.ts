import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasOracle, pythonJson, tempDir } from '#test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
interface LocalDecision {
  model_cfg: ModelCfg;
  quick_gelu: boolean;
  preprocess_cfg: Record<string, unknown>;
  vision_acts: string[];
  text_acts: string[];
  tokenizer: { class: string; context_length: number };
}

const PAIRS = [
  'RN50:openai',
  'RN50-quickgelu:openai',
  'RN101:yfcc15m',
  'RN50x4:openai',
  'ViT-B-32:openai',
  'ViT-B-32-quickgelu:metaclip_400m',
  'ViT-B-32:laion2b_s34b_b79k',
  'ViT-B-16:dfn2b',
  'ViT-L-14-336:openai',
  'ViT-H-14-378-quickgelu:dfn5b',
  'ViT-H-14-worldwide:metaclip2_worldwide',
  'ViT-H-14-worldwide-378:metaclip2_worldwide',
  'ViT-L-14-CLIPA:datacomp1b',
  'roberta-ViT-B-32:laion2b_s12b_b32k',
  'xlm-roberta-base-ViT-B-32:laion5b_s13b_b90k',
  'nllb-clip-base-siglip:v1',
  'coca_ViT-B-32:laion2b_s13b_b90k',
  'convnext_base_w:laion2b_s13b_b82k_augreg',
  'EVA02-B-16:merged2b_s8b_b131k',
  'ViT-B-16-SigLIP:webli',
  'ViT-B-16-SigLIP2-256:webli',
  'ViT-SO400M-16-SigLIP-i18n-256:webli',
  'MobileCLIP-S1:datacompdr',
  'MobileCLIP2-S0:dfndr2b',
  'ViTamin-S:datacomp1b',
  'PE-Core-B-16:meta',
];

// local-dir: configs open_clip builds as-is: preprocess_cfg overrides, a ModifiedResNet with quick_gelu,
// a tanh-GELU text tower, a non-square timm tower.
const LOCAL_CONFIGS: Record<string, unknown> = {
  'vit-pre': {
    model_cfg: {
      embed_dim: 16,
      vision_cfg: { image_size: 48, layers: 1, width: 32, head_width: 16, patch_size: 8 },
      text_cfg: { context_length: 32, vocab_size: 49408, width: 16, heads: 2, layers: 1 },
    },
    preprocess_cfg: {
      size: 999,
      mean: [0.5, 0.5, 0.5],
      std: [0.25, 0.25, 0.25],
      interpolation: 'bilinear',
      resize_mode: 'longest',
      fill_color: 3,
    },
  },
  'rn-quick': {
    model_cfg: {
      embed_dim: 32,
      quick_gelu: true,
      vision_cfg: { image_size: 64, layers: [1, 1, 1, 1], width: 16, head_width: 8 },
      text_cfg: { context_length: 77, vocab_size: 49408, width: 16, heads: 2, layers: 1 },
    },
  },
  'tanh-text': {
    model_cfg: {
      embed_dim: 16,
      vision_cfg: { image_size: 32, layers: 1, width: 32, head_width: 16, patch_size: 8 },
      text_cfg: {
        context_length: 77,
        vocab_size: 49408,
        width: 16,
        heads: 2,
        layers: 1,
        act_kwargs: { approximate: 'tanh' },
      },
    },
    preprocess_cfg: { mean: [0.1, 0.2, 0.3] },
  },
  'timm-rect': {
    model_cfg: {
      embed_dim: 16,
      vision_cfg: {
        image_size: [64, 48],
        timm_model_name: 'convnext_tiny',
        timm_model_pretrained: false,
        timm_pool: 'avg',
        timm_proj: 'linear',
      },
      text_cfg: { context_length: 77, vocab_size: 49408, width: 16, heads: 2, layers: 1 },
    },
  },
};

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'test-utils/open_clip_decisions.py');

describe.skipIf(!hasOracle)('resolve() agrees with what open_clip 3.3.0 builds', () => {
  let oracle: Record<string, Decision>;
  let local: Record<string, LocalDecision>;
  const tmp = tempDir();
  afterAll(tmp.cleanup);
  const localSpecs = Object.keys(LOCAL_CONFIGS).map((name) => `local-dir:${path.join(tmp.dir, name)}`);
  beforeAll(() => {
    for (const [name, cfg] of Object.entries(LOCAL_CONFIGS)) {
      mkdirSync(path.join(tmp.dir, name));
      writeFileSync(path.join(tmp.dir, name, 'open_clip_config.json'), JSON.stringify(cfg));
    }
    // One Python process for everything: create_model runs for real with weights and model construction stubbed.
    const all = pythonJson<Record<string, Decision & LocalDecision>>(
      `import runpy, sys; sys.argv = [${JSON.stringify(script)}, *sys.argv[1:]]; runpy.run_path(sys.argv[0], run_name='__main__')`,
      [...PAIRS, ...localSpecs],
    );
    oracle = Object.fromEntries(PAIRS.map((p) => [p, all[p]!]));
    local = Object.fromEntries(localSpecs.map((p) => [p, all[p]!]));
  });

  it('local-dir: model_cfg, preprocess_cfg, quick_gelu, activations and tokenizer as open_clip builds them', async () => {
    expect(localSpecs).toHaveLength(4);
    for (const spec of localSpecs) {
      const o = local[spec]!;
      const r = await resolve(spec, { registryFile: false });
      expect(r.modelCfg, spec).toStrictEqual(o.model_cfg);
      expect(r.quickGelu, spec).toBe(o.quick_gelu);
      expect(r.preprocessCfg, spec).toStrictEqual(o.preprocess_cfg);
      expect(o.vision_acts, spec).toContain(r.activation.vision);
      expect(o.text_acts, spec).toEqual([r.activation.text]);
      expect(o.tokenizer.class, spec).toBe('SimpleTokenizer');
      expect(r.tokenizer.contextLength, spec).toBe(o.tokenizer.context_length);
    }
  });

  it('samples at least 20 registered pairs across families', () => {
    const known = new Set(listPretrained({}, { registryFile: false }).map((e) => e.name));
    for (const p of PAIRS) expect(known.has(p), p).toBe(true);
    expect(PAIRS.length).toBeGreaterThanOrEqual(20);
    expect(Object.values(oracle).every((o) => o !== undefined)).toBe(true);
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
