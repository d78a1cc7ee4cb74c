import { describe, expect, it } from 'vitest';
import { towerSupport } from './tower-support.js';
import { TINY_CFG } from './test-utils/memory-source.js';
import type { ModelCfg } from './types.js';

describe('towerSupport', () => {
  it('supports native ViT, ModifiedResNet and text towers', () => {
    expect(towerSupport(TINY_CFG)).toEqual({ vision: { supported: true }, text: { supported: true } });
    const rn: ModelCfg = { ...TINY_CFG, vision_cfg: { layers: [3, 4, 6, 3], width: 64, image_size: 224 } };
    expect(towerSupport(rn).vision.supported).toBe(true);
    const siglip: ModelCfg = {
      ...TINY_CFG,
      vision_cfg: {
        timm_model_name: 'vit_so400m_patch14_siglip_384',
        timm_pool: 'map',
        timm_proj: 'none',
        image_size: 384,
      },
    };
    expect(towerSupport(siglip).vision.supported).toBe(true);
    for (const proj of ['linear', 'mlp']) {
      const convnext: ModelCfg = {
        ...TINY_CFG,
        vision_cfg: { timm_model_name: 'convnext_xxlarge', timm_pool: '', timm_proj: proj, image_size: 256 },
      };
      expect(towerSupport(convnext).vision.supported).toBe(true);
    }
    for (const name of ['vitamin_small_224', 'vitamin_large2_336', 'vitamin_xlarge_384']) {
      const vitamin: ModelCfg = {
        ...TINY_CFG,
        vision_cfg: { timm_model_name: name, timm_pool: '', timm_proj: 'linear', image_size: 256 },
      };
      expect(towerSupport(vitamin).vision.supported).toBe(true);
    }
  });

  it('supports Hugging Face text towers by their shipped or given config, and CoCa', () => {
    for (const name of ['roberta-base', 'xlm-roberta-large', 'facebook/nllb-200-distilled-1.3B', 'google/mt5-xl'])
      expect(towerSupport({ ...TINY_CFG, text_cfg: { hf_model_name: name } }).text, name).toEqual({ supported: true });
    const custom: ModelCfg = { ...TINY_CFG, text_cfg: { hf_model_name: 'my-org/my-roberta' } };
    expect(towerSupport(custom, { model_type: 'xlm-roberta', hidden_size: 64 }).text).toEqual({ supported: true });
    const bert = towerSupport(custom, { model_type: 'bert' }).text;
    expect(bert.supported).toBe(false);
    expect(bert.reason).toMatch(/model_type bert is not supported/);
    const coca: ModelCfg = {
      ...TINY_CFG,
      text_cfg: { ...TINY_CFG.text_cfg, embed_cls: true },
      multimodal_cfg: { width: 512 },
    };
    expect(towerSupport(coca)).toEqual({ vision: { supported: true }, text: { supported: true } });
  });

  it('names what it cannot build', () => {
    const cases: Array<[ModelCfg, 'vision' | 'text', RegExp]> = [
      [
        { ...TINY_CFG, vision_cfg: { timm_model_name: 'eva02_large_patch14_clip_224' } },
        'vision',
        /timm vision tower eva02_large_patch14_clip_224/,
      ],
      [{ ...TINY_CFG, vision_cfg: { timm_model_name: 'vit_so400m_patch14_siglip_384' } }, 'vision', /timm_pool=avg/],
      [
        {
          ...TINY_CFG,
          vision_cfg: { timm_model_name: 'vit_base_patch16_siglip_224', timm_pool: 'map', timm_proj: 'mlp' },
        },
        'vision',
        /timm_proj=mlp/,
      ],
      [
        { ...TINY_CFG, vision_cfg: { timm_model_name: 'convnext_base', timm_pool: 'abs_attn', timm_proj: '' } },
        'vision',
        /convnext_base with timm_pool=abs_attn/,
      ],
      [
        { ...TINY_CFG, vision_cfg: { timm_model_name: 'convnext_base', timm_pool: '', timm_proj: 'none' } },
        'vision',
        /convnext_base with timm_proj=none/,
      ],
      [
        { ...TINY_CFG, vision_cfg: { timm_model_name: 'vitamin_base_224', timm_pool: 'map' } },
        'vision',
        /vitamin_base_224 with timm_pool=map/,
      ],
      [{ ...TINY_CFG, vision_cfg: { timm_model_name: 'vitamin_small_384' } }, 'vision', /vitamin_small_384/],
      [{ ...TINY_CFG, text_cfg: { hf_model_name: 'my-org/my-bert' } }, 'text', /my-org\/my-bert.*--hf-config FILE/],
      [
        { ...TINY_CFG, text_cfg: { hf_model_name: 'xlm-roberta-base', hf_pooler_type: 'max_pooler' } },
        'text',
        /hf_pooler_type=max_pooler/,
      ],
      [
        { ...TINY_CFG, vision_cfg: { ...TINY_CFG.vision_cfg, qk_norm: true } },
        'vision',
        /CustomResidualAttentionBlock \(qk_norm\)/,
      ],
      [{ ...TINY_CFG, vision_cfg: { ...TINY_CFG.vision_cfg, pool_type: 'none' } }, 'vision', /pool_type=none/],
      [
        { ...TINY_CFG, quick_gelu: true, text_cfg: { ...TINY_CFG.text_cfg, act_kwargs: { approximate: 'tanh' } } },
        'text',
        /QuickGELU/,
      ],
    ];
    for (const [cfg, tower, reason] of cases) {
      const s = towerSupport(cfg)[tower];
      expect(s.supported, JSON.stringify(cfg)).toBe(false);
      expect(s.reason).toMatch(reason);
    }
  });
});
