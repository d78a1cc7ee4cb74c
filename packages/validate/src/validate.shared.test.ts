import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { needsShared, repoRoot, sharedFixtures } from '#test-support';
import { validateArtifact } from './validate.js';

// Every reference the shared (H100-made) fixtures hold: tiny models and the full ViT-B-32.
function sharedReferences(): Array<[string, string]> {
  if (!sharedFixtures) return [];
  const tiny = readdirSync(path.join(sharedFixtures, 'tiny')).map(
    (m) => [m, path.join(sharedFixtures as string, 'tiny', m, 'reference.safetensors')] as [string, string],
  );
  return [...tiny, ['ViT-B-32', path.join(sharedFixtures, 'full/ViT-B-32/reference.safetensors')]];
}

// Committed references made on an H200 by tools/reference/gpu_check.sh (see the README beside them):
// they need no ../shared, so a fresh clone judges real GPU output too.
const h200Dir = path.join(repoRoot, 'test/fixtures/gpu-references/h200');
const h200References = (): Array<[string, string]> =>
  readdirSync(h200Dir)
    .filter((f) => f.endsWith('.safetensors'))
    .map((f) => [`${path.basename(f, '.safetensors')} (H200)`, path.join(h200Dir, f)]);

const GPU_MODES = [
  ['cuda_fp16-autocast', 'fp16'],
  ['cuda_bf16-autocast', 'bf16'],
  ['cuda_fp16-weights', 'fp16'],
] as const;

function judgeGpuModes(model: string, ref: string): void {
  for (const [mode, precision] of GPU_MODES) {
    it(`${model} ${mode} passes --profile auto (${precision}) and fails fp32`, async () => {
      const auto = await validateArtifact({ artifact: `${ref}#${mode}`, reference: ref });
      expect(auto.profile.name).toBe(precision);
      expect(auto.checks.filter((c) => !c.pass)).toEqual([]);
      expect(auto.verdict).toBe('pass');
      const strict = await validateArtifact({ artifact: `${ref}#${mode}`, reference: ref, profile: 'fp32' });
      expect(strict.verdict).toBe('fail');
      expect(strict.diagnosis.map((d) => d.kind)).toContain('reduced-precision');
    });
  }
  it(`${model} cuda_fp32 passes fp32`, async () => {
    const r = await validateArtifact({ artifact: `${ref}#cuda_fp32`, reference: ref, profile: 'fp32' });
    expect(r.checks.filter((c) => !c.pass)).toEqual([]);
  });
  it(`${model} bf16 output fails the fp16 profile`, async () => {
    const r = await validateArtifact({ artifact: `${ref}#cuda_bf16-autocast`, reference: ref, profile: 'fp16' });
    expect(r.verdict).toBe('fail');
  });
}

describe('GPU embeddings made on an H200 (committed fixtures)', () => {
  for (const [model, ref] of h200References()) judgeGpuModes(model, ref);
});

describe.skipIf(!needsShared('GPU-made candidates vs their profiles'))('GPU embeddings as candidates', () => {
  for (const [model, ref] of sharedReferences()) judgeGpuModes(model, ref);

  it('tiny-vit-gelu with bf16-rounded weights (CPU) passes bf16 and fails fp32', async () => {
    const dir = path.join(sharedFixtures as string, 'tiny/tiny-vit-gelu');
    const opts = {
      artifact: path.join(dir, 'reference.bf16weights.safetensors'),
      reference: path.join(dir, 'reference.safetensors'),
    };
    const auto = await validateArtifact(opts);
    expect(auto.artifact.label).toBe('embeddings cpu_fp32_bf16weights');
    expect([auto.profile.name, auto.verdict]).toEqual(['bf16', 'pass']);
    expect((await validateArtifact({ ...opts, profile: 'fp32' })).verdict).toBe('fail');
  });
});
