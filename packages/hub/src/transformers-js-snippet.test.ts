import { describe, expect, it } from 'vitest';
import { buildModelCard, transformersJsSnippet } from './model-card.js';

describe('transformersJsSnippet', () => {
  it('CLIP layouts: CLIPTextModelWithProjection on texts padded to the longest', () => {
    const code = transformersJsSnippet('me/clip');
    expect(code).toContain('CLIPTextModelWithProjection.from_pretrained');
    expect(code).toContain('padding: true');
  });

  it('SigLIP layouts: SiglipTextModel on texts padded to max_length (the graph takes exactly the context)', () => {
    const code = transformersJsSnippet('me/siglip', { modelType: 'siglip', dtype: 'q8' });
    expect(code).toContain("SiglipTextModel.from_pretrained('me/siglip', { dtype: 'q8' })");
    expect(code).toContain("padding: 'max_length'");
    expect(code).not.toContain('CLIPTextModelWithProjection');
  });

  it('the model card of a SigLIP layout shows the SigLIP snippet', () => {
    const card = buildModelCard({ repo: 'me/siglip', transformersJs: { dtypes: ['fp32'], modelType: 'siglip' } });
    expect(card).toContain('SiglipTextModel');
  });
});
