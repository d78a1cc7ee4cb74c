import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { refusalOf, tempDir, writeOversizeJson } from '#test-support';
import { MAX_CONFIG_FILE_BYTES } from '@cliphub/core';
import { chooseConfig } from './choose-config.js';
import type { ShapeInfo } from './infer-model-cfg.js';
import { textTowerShapes } from './test-utils/text-tower-shapes.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

// A tiny ViT whose shapes match the config below.
const cfg = {
  embed_dim: 16,
  quick_gelu: true,
  vision_cfg: { image_size: 32, layers: 1, width: 32, head_width: 16, patch_size: 8 },
  text_cfg: { context_length: 77, vocab_size: 49408, width: 16, heads: 2, layers: 1 },
};
const shapes: ShapeInfo[] = [
  { name: 'visual.conv1.weight', shape: [32, 3, 8, 8] },
  { name: 'visual.class_embedding', shape: [32] },
  { name: 'visual.positional_embedding', shape: [17, 32] },
  { name: 'visual.ln_pre.weight', shape: [32] },
  { name: 'visual.proj', shape: [32, 16] },
  { name: 'visual.transformer.resblocks.0.attn.in_proj_weight', shape: [96, 32] },
  ...textTowerShapes({ width: 16, layers: 1, embed: 16 }),
];
const configFile = (model: object, name: string): string => {
  const f = path.join(tmp.dir, `${name}.json`);
  writeFileSync(
    f,
    JSON.stringify({
      model_cfg: model,
      preprocess_cfg: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], interpolation: 'bilinear', resize_mode: 'squash' },
    }),
  );
  return f;
};
const base = { tensors: shapes, attributes: {}, isTorchScript: false };

describe('chooseConfig', () => {
  it('takes the config file beside the checkpoint, with its activation and preprocessing', async () => {
    const c = await chooseConfig({ ...base, configPath: configFile(cfg, 'ok') });
    expect(c.source).toBe('config-file');
    expect(c.activation).toMatchObject({ value: 'quickgelu', guessed: false });
    expect(c.modelCfg.quick_gelu).toBe(true);
    expect(c.preprocessCfg).toEqual({
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      interpolation: 'bilinear',
      resize_mode: 'squash',
    });
    expect(c.guesses).toEqual([]);
  });

  it('refuses --activation against a known config unless forced', async () => {
    const configPath = configFile(cfg, 'conflict');
    await expect(chooseConfig({ ...base, configPath, activation: 'gelu' })).rejects.toThrow(
      /contradicts .* says quickgelu.*--force/,
    );
    const forced = await chooseConfig({ ...base, configPath, activation: 'gelu', force: true });
    expect(forced.activation.source).toBe('--activation (forced)');
    expect(forced.modelCfg.quick_gelu).toBeUndefined();
  });

  it('flags the activation as a guess when only the weights are known; TorchScript means QuickGELU', async () => {
    const guessed = await chooseConfig({ ...base, configPath: null });
    expect(guessed).toMatchObject({ source: 'inferred', activation: { value: 'gelu', guessed: true } });
    expect(guessed.guesses.join('\n')).toMatch(/GUESS/);
    const ts = await chooseConfig({ ...base, isTorchScript: true, configPath: null });
    expect(ts.activation).toMatchObject({ value: 'quickgelu', guessed: false });
    await expect(chooseConfig({ ...base, isTorchScript: true, configPath: null, activation: 'gelu' })).rejects.toThrow(
      /TorchScript/,
    );
  });

  it('refuses a config the weights contradict, naming every differing field', async () => {
    const wrong = { ...cfg, vision_cfg: { ...cfg.vision_cfg, width: 64, layers: 2 } };
    await expect(chooseConfig({ ...base, configPath: configFile(wrong, 'wrong') })).rejects.toThrow(
      /vision_cfg.width is 64 in the config but 32 in the weights; vision_cfg.layers is 2 in the config but 1/,
    );
  });

  it('resolves --model through the registry and checks it against the weights', async () => {
    await expect(chooseConfig({ ...base, configPath: null, model: 'ViT-B-32' })).rejects.toThrow(
      /do not match ViT-B-32/,
    );
    await expect(chooseConfig({ ...base, configPath: null, model: 'ViT-B-23' })).rejects.toThrow(/ViT-B-32/);
  });

  it('explains a config file that is not open_clip_config.json', async () => {
    const f = path.join(tmp.dir, 'junk.json');
    writeFileSync(f, '{"hello": 1}');
    await expect(chooseConfig({ ...base, configPath: f })).rejects.toThrow(/no model_cfg/);
    writeFileSync(f, '{not json');
    await expect(chooseConfig({ ...base, configPath: f })).rejects.toThrow(/not valid JSON/);
  });

  it('refuses a huge --config with one exit-2 line, without reading it all', async () => {
    const f = writeOversizeJson(path.join(tmp.dir, 'huge.json'), MAX_CONFIG_FILE_BYTES);
    expect(await refusalOf(() => chooseConfig({ ...base, configPath: f }))).toMatchObject({
      code: 'BAD_CONFIG',
      exitCode: 2,
      message: expect.stringMatching(/is over 8 MiB.*; fix or remove it, or pass --model ARCH$/),
    });
  });
});
