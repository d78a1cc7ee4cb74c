import { describe, expect, it } from 'vitest';
import { listArchitectures } from './list.js';
import { tokenizerOf } from './tokenizer.js';

const cfg = (name: string) => listArchitectures().find((a) => a.name === name)!.config;

describe('tokenizerOf', () => {
  it('follows open_clip.get_tokenizer', () => {
    expect(tokenizerOf(cfg('ViT-B-32'))).toEqual({
      kind: 'simple',
      contextLength: 77,
      vocabSize: 49408,
      clean: 'lower',
    });
    expect(tokenizerOf(cfg('ViT-B-16-SigLIP'), { arch: 'ViT-B-16-SigLIP' })).toMatchObject({
      kind: 'hf',
      name: 'timm/ViT-B-16-SigLIP',
      contextLength: 64,
      clean: 'canonicalize',
    });
    expect(tokenizerOf(cfg('ViT-H-14-CLIPA'))).toMatchObject({ kind: 'hf', stripSepToken: true });
    expect(tokenizerOf(cfg('xlm-roberta-base-ViT-B-32'))).toEqual({
      kind: 'hf',
      name: 'xlm-roberta-base',
      contextLength: 77,
      vocabSize: null,
    });
  });

  it('reads HF tokenizer files from a local dir, and picks SigLipTokenizer by name when no HF name is set', () => {
    expect(tokenizerOf(cfg('ViT-B-16-SigLIP'), { localDir: '/m' }).name).toBe('/m');
    const bare = { embed_dim: 8, vision_cfg: {}, text_cfg: { context_length: 64 } };
    expect(tokenizerOf(bare, { arch: 'my-SigLIP2-x' })).toMatchObject({
      kind: 'hf',
      name: 'siglip:gemma',
      contextLength: 64,
    });
  });
});
