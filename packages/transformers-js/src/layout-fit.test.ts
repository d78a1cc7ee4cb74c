import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelCfg } from '@cliphub/onnx-export';
import { sharedUpstream } from '#test-support';
import { transformersJsFit } from './layout-fit.js';

const configs = path.join(sharedUpstream ?? '', 'model_configs');
const cfgOf = (arch: string): ModelCfg =>
  JSON.parse(readFileSync(path.join(configs, `${arch}.json`), 'utf8')) as ModelCfg;

describe.skipIf(!sharedUpstream)('transformersJsFit on open_clip 3.3.0 configs', () => {
  it('SigLIP and SigLIP2: model_type siglip with their Hugging Face tokenizer and canonicalize', () => {
    for (const arch of ['ViT-B-16-SigLIP', 'ViT-SO400M-14-SigLIP2', 'ViT-B-16-SigLIP-i18n-256']) {
      expect(transformersJsFit(cfgOf(arch), { resize_mode: 'squash' })).toMatchObject({
        fits: true,
        modelType: 'siglip',
        clean: 'canonicalize',
        hfTokenizer: expect.stringMatching(/^timm\//),
      });
    }
  });

  it('a causal tower pooling the end token takes texts padded to the longest: MetaCLIP 2 worldwide fits as clip', () => {
    expect(transformersJsFit(cfgOf('ViT-H-14-worldwide'))).toMatchObject({
      fits: true,
      modelType: 'clip',
      clean: 'whitespace',
      hfTokenizer: 'facebook/xlm-v-base',
    });
    expect(transformersJsFit(cfgOf('ViT-B-32'))).toMatchObject({ fits: true, modelType: 'clip', hfTokenizer: null });
  });

  it('refuses what transformers.js cannot run as open_clip does, naming the part', () => {
    expect(transformersJsFit(cfgOf('ViT-L-14-CLIPA'))).toMatchObject({
      fits: false,
      part: 'tokenizer',
      reason: expect.stringMatching(/strip_sep_token/),
    });
    expect(transformersJsFit(cfgOf('xlm-roberta-base-ViT-B-32'))).toMatchObject({
      fits: false,
      part: 'text tower',
      reason: expect.stringMatching(/exactly context_length ids/),
    });
    expect(transformersJsFit(cfgOf('ViT-B-32'), { resize_mode: 'longest' })).toMatchObject({
      fits: false,
      part: 'preprocessing',
      reason: expect.stringMatching(/floors the short side where open_clip rounds it/),
    });
    const argmax = cfgOf('ViT-H-14-worldwide');
    (argmax.text_cfg as Record<string, unknown>).pool_type = 'argmax';
    expect(transformersJsFit(argmax)).toMatchObject({ fits: false, part: 'text tower' });
    const lang = cfgOf('ViT-B-16-SigLIP');
    (lang.text_cfg as Record<string, unknown>).tokenizer_kwargs = { clean: 'canonicalize', language: 'de' };
    expect(transformersJsFit(lang)).toMatchObject({
      fits: false,
      part: 'tokenizer',
      reason: expect.stringMatching(/language/),
    });
  });
});
