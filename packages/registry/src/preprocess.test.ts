import { describe, expect, it } from 'vitest';
import { OPENAI_MEAN, preprocessCfgFor } from './preprocess.js';
import type { ModelCfg } from './types.js';

const cfg = (vision: Record<string, unknown>): ModelCfg => ({ embed_dim: 8, vision_cfg: vision, text_cfg: {} });

describe('preprocessCfgFor', () => {
  it('uses open_clip defaults and a 2-tuple size for ViT towers', () => {
    expect(preprocessCfgFor(cfg({ image_size: 240, layers: 12 }))).toEqual({
      size: [240, 240],
      mode: 'RGB',
      mean: OPENAI_MEAN,
      std: [0.26862954, 0.26130258, 0.27577711],
      interpolation: 'bicubic',
      resize_mode: 'shortest',
      fill_color: 0,
    });
  });

  it('keeps an int size for ModifiedResNet and honours rectangular sizes', () => {
    expect(preprocessCfgFor(cfg({ image_size: 288, layers: [3, 4, 6, 3] })).size).toBe(288);
    expect(preprocessCfgFor(cfg({ image_size: [256, 192], timm_model_name: 'x' })).size).toEqual([256, 192]);
  });

  it('accepts a listing entry (resizeMode) as the pretrained overlay', () => {
    const p = preprocessCfgFor(cfg({ image_size: 224, layers: 12 }), {
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      interpolation: 'bicubic',
      resizeMode: 'squash',
    });
    expect(p.resize_mode).toBe('squash');
  });

  it('merges the overlay, skipping nulls, but size always comes from the tower', () => {
    const p = preprocessCfgFor(cfg({ image_size: 384, layers: 12 }), {
      mean: [0.5, 0.5, 0.5],
      std: null,
      interpolation: 'bilinear',
      resize_mode: 'squash',
      size: 999,
    });
    expect(p).toMatchObject({
      mean: [0.5, 0.5, 0.5],
      std: [0.26862954, 0.26130258, 0.27577711],
      interpolation: 'bilinear',
      resize_mode: 'squash',
      size: [384, 384],
    });
  });
});
