import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedFixtures, hasOracle, tempDir } from '#test-support';
import { ValidateError } from './errors.js';
import { exportWithOracle } from './test-utils/oracle-onnx.js';
import { validateArtifact } from './validate.js';

const tmp = tempDir('cliphub-validate-onnx-');
const model = (name: string): string => path.join(generatedFixtures, 'models', name);
const ref = (name: string): string => path.join(model(name), 'reference.safetensors');
const out = (name: string): string => path.join(tmp.dir, name);

describe.skipIf(!hasOracle)('ONNX artifacts exported by torch (oracle)', () => {
  beforeAll(() => {
    exportWithOracle([
      { dir: model('tiny-vit-gelu'), out: out('gelu') },
      { dir: model('tiny-vit-quickgelu'), out: out('quickgelu') },
      // the QuickGELU fixture exported with exact GELU: the activation-swap bug
      {
        dir: model('tiny-vit-quickgelu'),
        out: out('quickgelu-as-gelu'),
        quickGelu: false,
        declare: { vision: 'gelu', text: 'gelu' },
      },
      { dir: model('tiny-vit-gelu'), out: out('gelu-normalized'), normalize: true },
      // ResNet vision has no GELU, so only the text tower changes
      { dir: model('tiny-rn-quickgelu'), out: out('rn-as-gelu'), quickGelu: false },
      { dir: model('tiny-vit-gelu'), out: out('perturbed'), perturb: 'visual.proj' },
      { dir: model('tiny-siglip-like'), out: out('siglip-text'), towers: ['text'] },
    ]);
  });
  afterAll(() => tmp.cleanup());

  it.each(['gelu', 'quickgelu'])('a faithful fp32 export (%s) passes fp32 against cpu_fp32', async (name) => {
    const r = await validateArtifact({ artifact: out(name), reference: ref(`tiny-vit-${name}`) });
    expect(r.profile.name).toBe('fp32'); // auto, from cliphub.json
    expect(r.checks.filter((c) => !c.pass)).toEqual([]);
    expect(r.verdict).toBe('pass');
    expect(r.towers.map((t) => t.minCosine)).toEqual([expect.closeTo(1, 6), expect.closeTo(1, 6)]);
  });

  it('flags the QuickGELU fixture exported as GELU, in both ViT towers', async () => {
    const r = await validateArtifact({ artifact: out('quickgelu-as-gelu'), reference: ref('tiny-vit-quickgelu') });
    expect(r.verdict).toBe('fail');
    expect(r.diagnosis.map((d) => [d.kind, d.tower])).toEqual([
      ['activation-mismatch', 'image'],
      ['activation-mismatch', 'text'],
    ]);
    expect(r.diagnosis[0]?.message).toMatch(/^QuickGELU\/GELU mismatch suspected in the image \(vision\) tower/);
    // cliphub.json's declared activation backs the suspicion up
    expect(r.diagnosis[1]?.message).toMatch(/the artifact declares gelu but the reference model has quick_gelu: true/);
  });

  it('compares a graph that ends in L2 normalization with the normalized reference', async () => {
    const r = await validateArtifact({ artifact: out('gelu-normalized'), reference: ref('tiny-vit-gelu') });
    expect(r.checks.filter((c) => !c.pass)).toEqual([]);
    expect(r.artifact.notes).toContain('outputs are L2-normalized: compared with the normalized reference');
  });

  it('names only the text tower when the vision tower (ResNet) is unaffected', async () => {
    const r = await validateArtifact({ artifact: out('rn-as-gelu'), reference: ref('tiny-rn-quickgelu') });
    expect(r.verdict).toBe('fail');
    expect(r.diagnosis).toHaveLength(1);
    expect(r.diagnosis[0]).toMatchObject({ kind: 'activation-mismatch', tower: 'text' });
    expect(r.diagnosis[0]?.message).toMatch(
      /QuickGELU\/GELU mismatch suspected in the text tower.*while the image tower matches/,
    );
  });

  it('diagnoses a perturbed projection weight as a weights mismatch in the image tower only', async () => {
    const r = await validateArtifact({ artifact: out('perturbed'), reference: ref('tiny-vit-gelu') });
    expect(r.verdict).toBe('fail');
    expect(r.checks.filter((c) => c.group === 'text').every((c) => c.pass)).toBe(true);
    expect(r.diagnosis.map((d) => [d.kind, d.tower])).toEqual([['weights-mismatch', 'image']]);
  });

  it('refuses an artifact of another model: embed dim (exit 2, DIM_MISMATCH)', async () => {
    const err = await validateArtifact({ artifact: out('gelu'), reference: ref('tiny-siglip-like') }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ValidateError);
    expect(err).toMatchObject({ code: 'DIM_MISMATCH', exitCode: 2 });
    expect((err as Error).message).toMatch(/image_embeds of shape \[4, 16\] but the reference has \[4, 32\]/);
  });

  it('refuses an artifact of another model: context length (exit 2, CONTEXT_MISMATCH)', async () => {
    const err = await validateArtifact({ artifact: out('siglip-text'), reference: ref('tiny-vit-gelu') }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'CONTEXT_MISMATCH', exitCode: 2 });
    expect((err as Error).message).toMatch(
      /expects input_ids of shape \[batch, 16\] but the reference's context length is \[77\]/,
    );
  });
});
