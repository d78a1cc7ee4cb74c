import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '#test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { RegistryError } from './errors.js';
import { resolve } from './resolve.js';
import { addLocalModel } from './user-registry.js';

const tiny = {
  model_cfg: {
    embed_dim: 16,
    vision_cfg: { image_size: 32, layers: 2, width: 32, head_width: 16, patch_size: 8 },
    text_cfg: { context_length: 77, vocab_size: 49408, width: 16, heads: 2, layers: 2 },
    quick_gelu: true,
  },
  preprocess_cfg: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], interpolation: 'bilinear', resize_mode: 'squash' },
};

async function rejection(p: Promise<unknown>): Promise<RegistryError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RegistryError);
  return e as RegistryError;
}

describe('resolve', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);
  const opts = { registryFile: path.join(tmp.dir, 'models.json') };

  it('resolves ARCH:TAG with the tag forcing QuickGELU and a Hub weight source', async () => {
    const r = await resolve('ViT-B-32:openai', opts);
    expect(r).toMatchObject({
      arch: 'ViT-B-32',
      tag: 'openai',
      quickGelu: true,
      activation: { vision: 'quick_gelu', text: 'quick_gelu' },
    });
    expect(r.modelCfg.quick_gelu).toBe(true);
    expect(r.weights).toEqual({ kind: 'hf-hub', repo: 'timm/vit_base_patch32_clip_224.openai', file: null });
    expect(r.weightsAlternatives[0]).toMatchObject({
      kind: 'url',
      sha256: '40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af',
    });
    expect(r.notes.join(' ')).toMatch(/builds GELU and only warns \(use 'ViT-B-32-quickgelu'/);
  });

  it('resolves the -quickgelu aliases without any mismatch note', async () => {
    const r = await resolve('ViT-B-32-quickgelu:openai', opts);
    expect(r).toMatchObject({
      arch: 'ViT-B-32-quickgelu',
      quickGelu: true,
      activation: { vision: 'quick_gelu', text: 'quick_gelu' },
    });
    expect(r.notes.filter((n) => n.includes('quick_gelu'))).toEqual([]);
    expect(r.provenance.modelCfg).not.toMatch(/forced/);
  });

  it('accepts ARCH/TAG, messy tag spelling and a bare ARCH', async () => {
    expect((await resolve('ViT-B-32/LAION2B-S34B-B79K', opts)).tag).toBe('laion2b_s34b_b79k');
    const bare = await resolve('ViT-B-32', opts);
    expect(bare).toMatchObject({ tag: null, weights: null, quickGelu: false });
    expect(bare.preprocessCfg.size).toEqual([224, 224]);
  });

  it('explains roberta-ViT-B-32: the config quick_gelu wins over the silent tag', async () => {
    const r = await resolve('roberta-ViT-B-32:laion2b_s12b_b32k', opts);
    expect(r.quickGelu).toBe(true);
    expect(r.activation).toEqual({ vision: 'quick_gelu', text: 'gelu' });
    expect(r.notes[0]).toMatch(
      /config roberta-ViT-B-32 sets quick_gelu but tag laion2b_s12b_b32k does not: the config wins/,
    );
  });

  it('gives suggestions for unknown names and tags (exit 2)', async () => {
    const a = await rejection(resolve('ViT-B-23', opts));
    expect(a).toMatchObject({ code: 'UNKNOWN_MODEL', exitCode: 2 });
    expect(a.suggestions).toContain('ViT-B-32');
    const t = await rejection(resolve('ViT-B-32:laion2b_s34b_b97k', opts));
    expect(t.code).toBe('UNKNOWN_TAG');
    expect(t.suggestions[0]).toBe('ViT-B-32:laion2b_s34b_b79k');
    const none = await rejection(resolve('ViT-B-32-256:openai', opts));
    expect(none.suggestions).toContain('ViT-B-32:openai');
  });

  it('reads hf-hub: configs through the injected loader, revision included', async () => {
    const calls: Array<[string, string | undefined]> = [];
    const r = await resolve('hf-hub:me/tiny@abc', {
      ...opts,
      hubConfigLoader: async (repo, rev) => (calls.push([repo, rev]), tiny),
    });
    expect(calls).toEqual([['me/tiny', 'abc']]);
    expect(r).toMatchObject({
      arch: null,
      quickGelu: true,
      weights: { kind: 'hf-hub', repo: 'me/tiny', file: null, revision: 'abc' },
    });
    expect(r.preprocessCfg).toMatchObject({
      size: [32, 32],
      mean: [0.5, 0.5, 0.5],
      interpolation: 'bilinear',
      resize_mode: 'squash',
    });
  });

  it('recognises a Hub repo from the pretrained table and flags a QuickGELU disagreement', async () => {
    const gelu = { ...tiny, model_cfg: { ...tiny.model_cfg, quick_gelu: undefined } };
    const r = await resolve('hf-hub:timm/vit_base_patch32_clip_224.openai', {
      ...opts,
      hubConfigLoader: async () => gelu,
    });
    expect(r.quickGelu).toBe(false);
    expect(r.notes).toContain("this repo holds the weights of open_clip's ViT-B-32:openai");
    expect(r.notes.join(' ')).toMatch(/quick_gelu=false but ViT-B-32:openai resolves to quick_gelu=true/);
  });

  it('rejects a Hub config that fails the schema (exit 2)', async () => {
    const e = await rejection(
      resolve('hf-hub:me/bad', { ...opts, hubConfigLoader: async () => ({ model_cfg: { embed_dim: 'big' } }) }),
    );
    expect(e).toMatchObject({ code: 'BAD_CONFIG', exitCode: 2 });
    expect(e.message).toMatch(/model_cfg\.embed_dim/);
  });

  it('resolves local-dir: with the checkpoint open_clip would pick, and errors without a config', async () => {
    const dir = path.join(tmp.dir, 'tiny');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'open_clip_config.json'), JSON.stringify(tiny));
    writeFileSync(path.join(dir, 'open_clip_pytorch_model.bin'), '');
    writeFileSync(path.join(dir, 'open_clip_model.safetensors'), '');
    const r = await resolve(`local-dir:${dir}`, opts);
    expect(r.weights).toEqual({ kind: 'local', path: path.join(dir, 'open_clip_model.safetensors') });
    const e = await rejection(resolve(`local-dir:${tmp.dir}`, opts));
    expect(e).toMatchObject({ code: 'NO_CONFIG', exitCode: 2 });
    expect(e.suggestions).toEqual([dir]);
  });

  it('resolves a user-registered name and attaches injected exporter support', async () => {
    const dir = path.join(tmp.dir, 'mine');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'open_clip_config.json'), JSON.stringify(tiny));
    addLocalModel(dir, { registryFile: opts.registryFile });
    const r = await resolve('mine', {
      ...opts,
      support: (cfg) => ({ vision: { supported: cfg.embed_dim === 16 }, text: { supported: false, reason: 'test' } }),
    });
    expect(r).toMatchObject({
      spec: 'mine',
      quickGelu: true,
      weights: null,
      support: { vision: { supported: true }, text: { supported: false } },
    });
  });
});
