import { describe, expect, it } from 'vitest';
import { RegistryError } from './errors.js';
import { cleanTag, parseSpec } from './spec.js';

describe('parseSpec', () => {
  it('reads every spec form', () => {
    expect(parseSpec('ViT-B-32')).toEqual({ kind: 'name', name: 'ViT-B-32', tag: null });
    expect(parseSpec('ViT-B-32:openai')).toEqual({ kind: 'name', name: 'ViT-B-32', tag: 'openai' });
    expect(parseSpec('hf-hub:timm/ViT-B-16-SigLIP')).toEqual({
      kind: 'hf-hub',
      repo: 'timm/ViT-B-16-SigLIP',
      revision: null,
    });
    expect(parseSpec('hf-hub:org/repo@v1.0')).toEqual({ kind: 'hf-hub', repo: 'org/repo', revision: 'v1.0' });
    expect(parseSpec('local-dir:./m')).toEqual({ kind: 'local-dir', path: './m' });
  });

  it.each([
    'hf-hub:',
    'hf-hub:noslash',
    'hf-hub:a/b/c',
    'hf-hub:-org/x',
    'hf-hub:org/re po',
    'hf-hub:org/a..b',
    'local-dir:',
    '',
    'ViT-B-32:',
    ':openai',
    'a:b:c',
  ])('rejects %j as bad input', (spec) => {
    try {
      parseSpec(spec);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RegistryError);
      expect((e as RegistryError).code).toBe('BAD_SPEC');
      expect((e as RegistryError).exitCode).toBe(2);
    }
  });

  it('cleans tags as open_clip does', () => {
    expect(cleanTag('LAION2B-S34B-B79K')).toBe('laion2b_s34b_b79k');
  });
});
