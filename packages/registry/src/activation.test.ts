import { describe, expect, it } from 'vitest';
import { activationOf } from './activation.js';
import type { ModelCfg } from './types.js';

const vit = (
  extra: Partial<ModelCfg> = {},
  v: Record<string, unknown> = {},
  t: Record<string, unknown> = {},
): ModelCfg => ({
  embed_dim: 512,
  vision_cfg: { image_size: 224, layers: 12, width: 768, patch_size: 32, ...v },
  text_cfg: { context_length: 77, vocab_size: 49408, width: 512, heads: 8, layers: 12, ...t },
  ...extra,
});

describe('activationOf', () => {
  it('native towers: GELU by default, QuickGELU when quick_gelu, GELU-tanh from act_kwargs', () => {
    expect(activationOf(vit())).toEqual({ vision: 'gelu', text: 'gelu' });
    expect(activationOf(vit({ quick_gelu: true }))).toEqual({ vision: 'quick_gelu', text: 'quick_gelu' });
    expect(activationOf(vit({}, {}, { act_kwargs: { approximate: 'tanh' } }))).toEqual({
      vision: 'gelu',
      text: 'gelu_tanh',
    });
  });

  it('ModifiedResNet vision is ReLU whatever quick_gelu says; its text tower follows quick_gelu', () => {
    expect(activationOf(vit({ quick_gelu: true }, { layers: [3, 4, 6, 3], width: 64 }))).toEqual({
      vision: 'relu',
      text: 'quick_gelu',
    });
  });

  it('timm and HF towers ignore quick_gelu and use the inspected activation', () => {
    const eva = vit({ quick_gelu: true }, { timm_model_name: 'eva02_base_patch16_clip_224' });
    expect(activationOf(eva).vision).toBe('silu');
    const siglip2 = vit({}, { timm_model_name: 'vit_so400m_patch16_siglip_256' });
    expect(activationOf(siglip2).vision).toBe('gelu_tanh');
    expect(
      activationOf(vit({ quick_gelu: true }, {}, { hf_model_name: 'facebook/nllb-200-distilled-600M' })).text,
    ).toBe('relu');
    expect(activationOf(vit({}, { timm_model_name: 'some_new_model' })).vision).toBe('unknown');
  });

  it('CoCa reports its multimodal decoder', () => {
    expect(activationOf(vit({ quick_gelu: true, multimodal_cfg: { width: 512 } })).multimodal).toBe('quick_gelu');
  });
});
