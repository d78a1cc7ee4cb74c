import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { towerSupport, type ModelCfg } from '@cliphub/onnx-export';
import { generatedFixtures, refusalOf, tempDir, writeOversizeJson } from '#test-support';
import { MAX_CONFIG_FILE_BYTES } from '@cliphub/core';
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

  // a reduced-precision export meets its own profile, picked from the export, and misses the next stricter one
  it.each([
    { dtype: 'fp16', model: 'tiny-vit-gelu', stricter: 'fp32', diagnosis: 'reduced-precision' },
    { dtype: 'int8', model: 'tiny-vit-attnpool', stricter: 'fp16', diagnosis: null },
  ] as const)(
    'an $dtype export passes its own profile (auto) and fails $stricter',
    async ({ dtype, model, stricter, diagnosis }) => {
      const opts = {
        artifact: dir(model),
        reference: path.join(dir(model), 'reference.safetensors'),
        exportCheckpoint: checkpointExporter({ dtype }),
      };
      const auto = await validateArtifact({ ...opts, workDir: path.join(tmp.dir, `${dtype}a`) });
      expect(auto.profile.name).toBe(dtype);
      expect(auto.checks.filter((c) => !c.pass)).toEqual([]);
      const strict = await validateArtifact({ ...opts, profile: stricter, workDir: path.join(tmp.dir, `${dtype}b`) });
      expect(strict.verdict).toBe('fail');
      if (diagnosis) expect(strict.diagnosis.every((d) => d.kind === diagnosis)).toBe(true);
    },
  );

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
});

describe('checkpoint dirs with a hostile config', () => {
  it('refuses an oversized open_clip_config.json with one exit-2 line', async () => {
    const hostile = path.join(tmp.dir, 'huge-config');
    mkdirSync(hostile, { recursive: true });
    writeOversizeJson(path.join(hostile, 'open_clip_config.json'), MAX_CONFIG_FILE_BYTES);
    expect(await refusalOf(() => checkpointExporter()(hostile, path.join(tmp.dir, 'huge-out')))).toMatchObject({
      code: 'BAD_ARTIFACT',
      exitCode: 2,
      message: expect.stringMatching(/^cannot read .*open_clip_config\.json: config .* is over 8 MiB/),
    });
  });
});
