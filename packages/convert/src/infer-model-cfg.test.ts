import { describe, expect, it } from 'vitest';
import { inferModelCfg, type ShapeInfo } from './infer-model-cfg.js';
import { ConvertError } from './errors.js';
import { textTowerShapes } from './test-utils/text-tower-shapes.js';

/** State-dict shapes of an open_clip ViT CLIP, as build_model_from_openai_state_dict sees them. */
function vitShapes(o: {
  width: number;
  layers: number;
  patch: number;
  grid: number;
  textWidth: number;
  textLayers: number;
  embed: number;
  prefix?: string;
}): ShapeInfo[] {
  const s: ShapeInfo[] = [
    { name: 'visual.conv1.weight', shape: [o.width, 3, o.patch, o.patch] },
    { name: 'visual.class_embedding', shape: [o.width] },
    { name: 'visual.positional_embedding', shape: [o.grid * o.grid + 1, o.width] },
    { name: 'visual.ln_pre.weight', shape: [o.width] },
    { name: 'visual.proj', shape: [o.width, o.embed] },
    ...textTowerShapes({ width: o.textWidth, layers: o.textLayers, embed: o.embed, prefix: o.prefix }),
    { name: 'logit_scale', shape: [] },
  ];
  for (let i = 0; i < o.layers; i++) {
    s.push({ name: `visual.transformer.resblocks.${i}.attn.in_proj_weight`, shape: [3 * o.width, o.width] });
    s.push({ name: `visual.transformer.resblocks.${i}.mlp.c_fc.weight`, shape: [4 * o.width, o.width] });
  }
  return s;
}

describe('inferModelCfg', () => {
  it('reads ViT-B-32 from its shapes, as open_clip does', () => {
    const { modelCfg, guesses } = inferModelCfg(
      vitShapes({ width: 768, layers: 12, patch: 32, grid: 7, textWidth: 512, textLayers: 12, embed: 512 }),
    );
    expect(modelCfg).toEqual({
      embed_dim: 512,
      vision_cfg: { image_size: 224, layers: 12, width: 768, patch_size: 32 },
      text_cfg: { context_length: 77, vocab_size: 49408, width: 512, heads: 8, layers: 12 },
    });
    // heads and pooling are not in the weights, and the result says so
    expect(guesses.join('\n')).toMatch(/head_width = 64/);
    expect(guesses.join('\n')).toMatch(/text_cfg.heads = 8/);
  });

  it('takes heads from TorchScript attributes instead of guessing', () => {
    const { modelCfg, guesses } = inferModelCfg(
      vitShapes({ width: 32, layers: 2, patch: 8, grid: 4, textWidth: 16, textLayers: 2, embed: 16 }),
      {
        'visual.transformer.resblocks.0.attn.num_heads': 2,
        'transformer.resblocks.0.attn.num_heads': 2,
      },
    );
    expect(modelCfg.vision_cfg.head_width).toBe(16);
    expect(modelCfg.text_cfg.heads).toBe(2);
    expect(guesses.join('\n')).not.toMatch(/heads/);
  });

  it('recognises custom text towers, projection bias, layer scale, no ln_pre and logit bias', () => {
    const shapes = vitShapes({
      width: 32,
      layers: 1,
      patch: 8,
      grid: 4,
      textWidth: 32,
      textLayers: 1,
      embed: 24,
      prefix: 'text.',
    })
      .filter((s) => s.name !== 'visual.ln_pre.weight' && s.name !== 'text.text_projection')
      .concat([
        { name: 'text.text_projection.weight', shape: [24, 32] },
        { name: 'text.text_projection.bias', shape: [24] },
        { name: 'visual.transformer.resblocks.0.ls_1.gamma', shape: [32] },
        { name: 'logit_bias', shape: [] },
      ]);
    const { modelCfg } = inferModelCfg(shapes);
    expect(modelCfg.custom_text).toBe(true);
    expect(modelCfg.embed_dim).toBe(24);
    expect(modelCfg.text_cfg.proj_bias).toBe(true);
    expect(modelCfg.vision_cfg.no_ln_pre).toBe(true);
    expect(modelCfg.vision_cfg.ls_init_value).toBeDefined();
    expect(modelCfg.init_logit_bias).toBe(-10);
  });

  it('reads a ModifiedResNet: blocks per stage, width, image size from the attention pool', () => {
    const shapes: ShapeInfo[] = [
      { name: 'visual.layer1.0.conv1.weight', shape: [64, 64, 1, 1] },
      ...[1, 2, 3].map((i) => ({ name: `visual.layer1.${i}.conv1.weight`, shape: [64, 64, 1, 1] })),
      ...[0, 1, 2, 3].map((i) => ({ name: `visual.layer2.${i}.conv1.weight`, shape: [128, 256, 1, 1] })),
      ...[0, 1, 2, 3, 4, 5].map((i) => ({ name: `visual.layer3.${i}.conv1.weight`, shape: [256, 512, 1, 1] })),
      ...[0, 1, 2].map((i) => ({ name: `visual.layer4.${i}.conv1.weight`, shape: [512, 1024, 1, 1] })),
      { name: 'visual.attnpool.positional_embedding', shape: [50, 2048] },
      ...textTowerShapes({ width: 512, layers: 1, embed: 1024 }),
    ];
    const { modelCfg } = inferModelCfg(shapes);
    expect(modelCfg.vision_cfg).toEqual({ image_size: 224, layers: [4, 4, 6, 3], width: 64, patch_size: null });
    expect(modelCfg.embed_dim).toBe(1024);
  });

  it('refuses what it cannot infer with a typed error that says what to pass', () => {
    expect(() => inferModelCfg([{ name: 'visual.trunk.stem.0.weight', shape: [96, 3, 4, 4] }])).toThrow(ConvertError);
    expect(() => inferModelCfg([{ name: 'visual.trunk.stem.0.weight', shape: [96, 3, 4, 4] }])).toThrow(/--model ARCH/);
    const bad = vitShapes({ width: 32, layers: 1, patch: 8, grid: 4, textWidth: 16, textLayers: 1, embed: 16 }).map(
      (s) => (s.name === 'visual.positional_embedding' ? { ...s, shape: [18, 32] } : s),
    );
    expect(() => inferModelCfg(bad)).toThrow(/not a square grid/);
  });
});
