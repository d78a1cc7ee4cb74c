import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Activation } from '@cliphub/onnx-export';
import { generatedFixtures, tempDir } from '#test-support';
import { checkpointExporter } from './checkpoint-export.js';
import { readReference } from './reference.js';
import { validateArtifact } from './validate.js';

const models = existsSync(path.join(generatedFixtures, 'models'))
  ? readdirSync(path.join(generatedFixtures, 'models')).sort()
  : [];
const tmp = tempDir('cliphub-swap-');
afterAll(() => tmp.cleanup());

// Calibration check for the diagnosis: every fixture exported with the other GELU must be diagnosed as
// an activation mismatch in exactly the towers that have GELUs (a ModifiedResNet vision tower has none).
describe.skipIf(!models.length)('activation swap on every fixture model', () => {
  it.each(models)('%s', async (m) => {
    const dir = path.join(generatedFixtures, 'models', m);
    const ref = await readReference(path.join(dir, 'reference.safetensors'));
    const cfg = ref.metadata.modelCfg as { quick_gelu?: boolean; vision_cfg: { layers: unknown } };
    const wrong: Activation = cfg.quick_gelu ? 'gelu' : 'quick_gelu';
    const resnet = Array.isArray(cfg.vision_cfg.layers);
    const activation = resnet ? { text: wrong } : { vision: wrong, text: wrong };
    const r = await validateArtifact({
      artifact: dir,
      reference: ref,
      exportCheckpoint: checkpointExporter({ activation }),
      workDir: path.join(tmp.dir, m),
    });
    // the measured band, reported so the calibration in diagnose.ts can be checked against it
    const band = r.towers.map(
      (t) =>
        `${t.tower} cos ${Math.min(...t.samples.map((s) => s.cosine)).toFixed(6)}-${Math.max(...t.samples.map((s) => s.cosine)).toFixed(6)} relL2 ${Math.min(...t.samples.map((s) => s.relL2)).toExponential(1)}-${t.maxRelL2.toExponential(1)}`,
    );
    console.log(`${m} (${wrong}): ${band.join('; ')}`);
    expect(r.verdict).toBe('fail');
    expect(r.diagnosis.map((d) => [d.kind, d.tower])).toEqual([
      ...(resnet ? [] : [['activation-mismatch', 'image']]),
      ['activation-mismatch', 'text'],
    ]);
  });
});
