import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { towerSupport, type ModelCfg } from '@cliphub/onnx-export';
import { generatedFixtures, tempDir } from '#test-support';
import { checkpointExporter } from './checkpoint-export.js';
import { readReference } from './reference.js';
import { validateArtifact } from './validate.js';

const models = existsSync(path.join(generatedFixtures, 'models'))
  ? readdirSync(path.join(generatedFixtures, 'models')).sort()
  : [];
const tmp = tempDir('cliphub-ckpt-');
afterAll(() => tmp.cleanup());
const dir = (m: string): string => path.join(generatedFixtures, 'models', m);

// cliphub's own exporter (@cliphub/onnx-export), run on the fly from a checkpoint dir.
describe.skipIf(!models.length)('checkpoint dirs exported on the fly by cliphub', () => {
  it.each(models)('%s: the fp32 export passes fp32 against cpu_fp32', async (m) => {
    const ref = await readReference(path.join(dir(m), 'reference.safetensors'));
    const support = towerSupport(ref.metadata.modelCfg as ModelCfg);
    const r = await validateArtifact({
      artifact: dir(m),
      reference: ref,
      exportCheckpoint: checkpointExporter(),
      workDir: path.join(tmp.dir, m),
    });
    expect(r.artifact.kind).toBe('checkpoint');
    expect(r.profile.name).toBe('fp32');
    expect(r.towers.map((t) => t.tower)).toEqual([
      ...(support.vision.supported ? ['image'] : []),
      ...(support.text.supported ? ['text'] : []),
    ]);
    expect(r.checks.filter((c) => !c.pass)).toEqual([]);
  });

  it('the QuickGELU fixture exported with GELU fails with the activation diagnosis', async () => {
    const r = await validateArtifact({
      artifact: dir('tiny-vit-quickgelu'),
      reference: path.join(dir('tiny-vit-quickgelu'), 'reference.safetensors'),
      exportCheckpoint: checkpointExporter({ activation: { vision: 'gelu', text: 'gelu' } }),
      workDir: path.join(tmp.dir, 'swap'),
    });
    expect(r.verdict).toBe('fail');
    expect(r.diagnosis.map((d) => [d.kind, d.tower])).toEqual([
      ['activation-mismatch', 'image'],
      ['activation-mismatch', 'text'],
    ]);
  });

  it('an fp16 export passes its own profile (auto) and fails fp32', async () => {
    const ref = path.join(dir('tiny-vit-gelu'), 'reference.safetensors');
    const opts = {
      artifact: dir('tiny-vit-gelu'),
      reference: ref,
      exportCheckpoint: checkpointExporter({ dtype: 'fp16' }),
    };
    const auto = await validateArtifact({ ...opts, workDir: path.join(tmp.dir, 'fp16a') });
    expect(auto.profile.name).toBe('fp16');
    expect(auto.checks.filter((c) => !c.pass)).toEqual([]);
    const strict = await validateArtifact({ ...opts, profile: 'fp32', workDir: path.join(tmp.dir, 'fp16b') });
    expect(strict.verdict).toBe('fail');
    expect(strict.diagnosis.every((d) => d.kind === 'reduced-precision')).toBe(true);
  });

  it('without an exporter a checkpoint dir is bad input that says what to do', async () => {
    await expect(
      validateArtifact({
        artifact: dir('tiny-vit-gelu'),
        reference: path.join(dir('tiny-vit-gelu'), 'reference.safetensors'),
      }),
    ).rejects.toMatchObject({
      code: 'EXPORT_UNAVAILABLE',
      exitCode: 2,
    });
  });

  it('an int8 export passes its own profile (auto) and fails fp16', async () => {
    const ref = path.join(dir('tiny-vit-attnpool'), 'reference.safetensors');
    const opts = {
      artifact: dir('tiny-vit-attnpool'),
      reference: ref,
      exportCheckpoint: checkpointExporter({ dtype: 'int8' }),
    };
    const auto = await validateArtifact({ ...opts, workDir: path.join(tmp.dir, 'int8a') });
    expect(auto.profile.name).toBe('int8');
    expect(auto.checks.filter((c) => !c.pass)).toEqual([]);
    expect((await validateArtifact({ ...opts, profile: 'fp16', workDir: path.join(tmp.dir, 'int8b') })).verdict).toBe(
      'fail',
    );
  });
});
