import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { tempDir, writeOpenClipConfig } from '#test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { runMain, type MainResult } from '../test-utils/run-main.js';

const home = tempDir();
afterAll(home.cleanup);

function cli(...argv: string[]): Promise<MainResult> {
  return runMain(argv, { env: { CLIPHUB_HOME: home.dir }, cwd: home.dir });
}

interface Entry {
  name: string;
  family: string;
  visionTower: string;
  mparams: number | null;
  imagenet1k: number | null;
  quickGelu: boolean;
  source: string;
}
const json = (s: string): Entry[] => JSON.parse(s) as Entry[];

describe('cliphub models', () => {
  it('--json lists exactly the 196 open_clip pairs when no user models exist', async () => {
    const r = await cli('models', '--json');
    expect(r.code).toBe(0);
    const all = json(r.out);
    expect(all).toHaveLength(196);
    expect(new Set(all.map((e) => e.name)).size).toBe(196);
    expect(all[0]!.name).toBe('RN50:openai');
  });

  it('filters by family, ImageNet accuracy and params, and sorts', async () => {
    const conv = json((await cli('models', '--family', 'timm-convnext', '--json')).out);
    expect(conv.length).toBe(12);
    expect(conv.every((e) => e.family === 'timm-convnext')).toBe(true);
    const good = json((await cli('models', '--min-imagenet', '80', '--sort', 'imagenet', '--json')).out);
    expect(good.length).toBeGreaterThan(3);
    expect(good.every((e) => e.imagenet1k! >= 0.8)).toBe(true);
    expect(good.map((e) => e.imagenet1k)).toEqual([...good.map((e) => e.imagenet1k)].sort((a, b) => b! - a!));
    const small = json((await cli('models', '--max-params', '0.11B', '--quickgelu', '--json')).out);
    expect(small.length).toBeGreaterThan(0);
    expect(small.every((e) => e.mparams! <= 110 && e.quickGelu)).toBe(true);
  });

  it('prints a readable table', async () => {
    const r = await cli('models', '--search', 'ViT-B-32 laion2b', '--sort', 'imagenet');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+FAMILY\s+PARAMS\(M\)\s+GFLOPS\s+IMAGE\s+ACT\(V\/T\)\s+IMAGENET\s+AVG38\s+ONNX$/);
    expect(r.out).toMatch(/ViT-B-32:laion2b_s34b_b79k\s+native-vit\s+151\.3\s+14\.78\s+224\s+gelu\/gelu\s+66\.6/);
    expect(lines.at(-1)).toMatch(/^\d+ models$/);
  });

  it('show describes the resolved model, QuickGELU decision included', async () => {
    const r = await cli('models', 'show', 'ViT-B-32:openai');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ViT-B-32:openai\n/);
    expect(r.out).toMatch(/quick_gelu\s+yes \(pretrained tag ViT-B-32:openai/);
    expect(r.out).toMatch(/activation\s+vision quick_gelu, text quick_gelu/);
    expect(r.out).toMatch(/weights\s+hf-hub timm\/vit_base_patch32_clip_224\.openai \(default file\)/);
    expect(r.out).toMatch(/zero-shot\s+ImageNet-1k 63\.3%/);
    const j = JSON.parse((await cli('models', 'show', 'RN50:openai', '--json')).out) as {
      activation: { vision: string };
      preprocessCfg: { size: number };
    };
    expect(j.activation.vision).toBe('relu');
    expect(j.preprocessCfg.size).toBe(224);
  });

  it.each([
    [['models', 'show', 'ViT-B-23'], /unknown model 'ViT-B-23'.*Did you mean: ViT-B-32/],
    [
      ['models', 'show', 'ViT-B-32:laion2b_s34b_b97k'],
      /unknown tag 'laion2b_s34b_b97k'.*Did you mean: ViT-B-32:laion2b_s34b_b79k/,
    ],
    [['models', 'show', 'hf-hub:nope'], /not a valid Hub spec/],
    [['models', 'show', `local-dir:${path.sep}nonexistent-cliphub-dir`], /does not exist/],
    [['models', '--family', 'convnxt'], /no family matches 'convnxt'.*Did you mean: timm-convnext/],
    [['models', '--sort', 'speed'], /--sort must be one of/],
    [['models', '--min-imagenet', 'lots'], /--min-imagenet takes a number/],
    [['models', 'ViT-B-32'], /use 'cliphub models show ViT-B-32'/],
    [['models', '--bogus'], /see --help/],
  ])('exits 2 on bad input: %j', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('add registers a local model: listed after the 196 and resolvable by name', async () => {
    const dir = path.join(home.dir, 'tiny-model');
    mkdirSync(dir);
    expect((await cli('models', 'add', dir)).err).toMatch(/has no open_clip_config\.json/);
    writeOpenClipConfig(dir, {
      embed_dim: 16,
      vision_cfg: { image_size: 32, layers: 2, width: 32, patch_size: 8 },
      text_cfg: { width: 16, heads: 2, layers: 2 },
    });
    const bad = path.join(home.dir, 'bad-model');
    writeOpenClipConfig(bad, { vision_cfg: {} });
    const rb = await cli('models', 'add', bad);
    expect(rb.code).toBe(2);
    expect(rb.err).toMatch(/not a valid open_clip config/);
    const r = await cli('models', 'add', 'tiny-model');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/registered tiny-model ->/);
    const all = json((await cli('models', '--json')).out);
    expect(all).toHaveLength(197);
    expect(all[196]).toMatchObject({ name: 'tiny-model', source: 'user' });
    const shown = await cli('models', 'show', 'tiny-model');
    expect(shown.out).toMatch(/^tiny-model\n\s+family\s+native-vit/);
  });
});

describe('cliphub models: ONNX export support comes from the exporter', () => {
  it('marks each entry with the towers @cliphub/onnx-export takes, and why not', async () => {
    const r = await cli('models', '--json');
    const all = JSON.parse(r.out) as Array<{
      name: string;
      onnx?: { vision: { supported: boolean; reason?: string }; text: { supported: boolean; reason?: string } };
    }>;
    expect(all.every((e) => e.onnx !== undefined)).toBe(true);
    const vitb = all.find((e) => e.name === 'ViT-B-32:openai')!;
    expect(vitb.onnx).toEqual({ vision: { supported: true }, text: { supported: true } });
    const roberta = all.find((e) => e.name.startsWith('roberta-ViT-B-32'))!;
    expect(roberta.onnx).toEqual({ vision: { supported: true }, text: { supported: true } });
    const nllb = all.filter((e) => /^(nllb-clip-(base|large)|xlm-roberta|coca_)/.test(e.name));
    expect(nllb.length).toBeGreaterThan(5);
    expect(nllb.filter((e) => !e.onnx!.text.supported).map((e) => e.name)).toEqual([]);
    const table = await cli('models', '--search', 'roberta');
    expect(table.out).toMatch(/ONNX/);
    expect(table.out).toMatch(/roberta-ViT-B-32:laion2b_s12b_b32k .* v\+t\n/);
  });

  it('marks each entry with whether convert --to transformers.js takes it, and counts them', async () => {
    const all = JSON.parse((await cli('models', '--json')).out) as Array<{
      name: string;
      transformersJs?: { fits: boolean; part?: string; reason?: string };
    }>;
    expect(all.every((e) => e.transformersJs !== undefined)).toBe(true);
    expect(all.find((e) => e.name === 'ViT-B-32:openai')!.transformersJs!.fits).toBe(true);
    expect(all.find((e) => e.name === 'RN50:openai')!.transformersJs!.fits).toBe(true);
    // SigLIP: its own tokenizer files (the user's) and model_type siglip
    const siglip = all.find((e) => e.name.startsWith('ViT-B-16-SigLIP:'))!;
    expect(siglip.transformersJs).toMatchObject({
      fits: true,
      modelType: 'siglip',
      hfTokenizer: 'timm/ViT-B-16-SigLIP',
      clean: 'canonicalize',
    });
    expect(all.find((e) => e.name.startsWith('ViT-SO400M-14-SigLIP2:'))!.transformersJs!.fits).toBe(true);
    // CLIPA zeroes the separator id; roberta's bidirectional tower takes the full context, CLIP pads to the longest
    expect(all.find((e) => e.name.startsWith('ViT-L-14-CLIPA:'))!.transformersJs).toMatchObject({
      fits: false,
      part: 'tokenizer',
      reason: expect.stringMatching(/strip_sep_token/),
    });
    expect(all.find((e) => e.name.startsWith('roberta-ViT-B-32:'))!.transformersJs).toMatchObject({
      fits: false,
      part: 'text tower',
    });
    const fits = all.filter((e) => e.transformersJs!.fits).length;
    expect(fits).toBeGreaterThan(50);
    const table = await cli('models');
    expect(table.out).toContain(`; ${fits} of these convert --to transformers.js`);
  });
});
