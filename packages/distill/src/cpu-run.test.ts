import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { generatedFixtures, hasOracle, oraclePython, pythonJson, tempDir } from '#test-support';
import { emitLaunch } from './emit-launch.js';
import { finalizeRun } from './finalize-run.js';
import { loadRecipe } from './load-recipe.js';
import { planRecipe } from './plan-recipe.js';
import type { RecipeInput } from './recipe-schema.js';
import { configCosts } from './tower-costs.js';

const teacherDir = path.join(generatedFixtures, 'models/tiny-vit-gelu');
const studentConfig = path.join(generatedFixtures, 'configs/tiny-vit-attnpool.json');
const ready = hasOracle && existsSync(teacherDir) && existsSync(studentConfig);
const tmp = tempDir('cliphub-distill-run-');
afterAll(() => tmp.cleanup());

/** A real distillation on CPU: a trained tiny teacher into a tiny student from scratch, synthetic data. */
function tinyRecipe(logs: string): RecipeInput {
  return {
    name: 'tiny-cpu',
    description: 'tiny fixture teacher into a tiny student on CPU',
    sources: ['test fixtures made by tools/fixtures with the oracle'],
    teacher: { model: `local-dir:${teacherDir}` },
    student: { model: 'tiny-vit-attnpool', config: studentConfig },
    data: { kind: 'synthetic', samples: 64 },
    schedule: { epochs: 1, warmup: 2, lr: 1e-3, wd: 0.1, batchPerGpu: 8, precision: 'fp32', workers: 0 },
    loss: { mode: 'distill+contrastive' },
    hardware: { nodes: 1, gpusPerNode: 1, gpu: 'cpu', device: 'cpu' },
    launcher: { kind: 'torchrun' },
    logging: { dir: logs, name: 'tiny', reportTo: 'none', logEveryNSteps: 2 },
    resume: 'latest',
  };
}

describe.skipIf(!ready)('a real open_clip_train distillation on CPU', () => {
  it('emits a torchrun launch that trains, logs the distillation loss, checkpoints, and converts', async () => {
    const logs = path.join(tmp.dir, 'logs');
    const file = path.join(tmp.dir, 'tiny.yaml');
    writeFileSync(file, stringify(tinyRecipe(logs)));
    const plan = await planRecipe(loadRecipe(file), { outDir: path.join(tmp.dir, 'out') });
    expect(plan.checks.filter((c) => c.level === 'error')).toEqual([]);
    expect(plan.schedule).toMatchObject({ globalBatch: 8, stepsPerEpoch: 8, totalSteps: 8 });
    emitLaunch(plan, { launcher: 'torchrun' });

    const torchrun = path.join(path.dirname(oraclePython), 'torchrun');
    const run = spawnSync('bash', [path.join(plan.outDir, 'launch.sh')], { encoding: 'utf8', env: { ...process.env, TORCHRUN: torchrun }, timeout: 120_000 });
    expect(run.status, run.stderr.slice(-2000)).toBe(0);

    const runDir = path.join(logs, 'tiny');
    const log = readFileSync(path.join(runDir, 'out.log'), 'utf8');
    const steps = log.split('\n').filter((l) => l.includes('Train Epoch: 0'));
    expect(steps.length).toBeGreaterThanOrEqual(2);
    for (const l of steps) expect(l).toMatch(/Contrastive_loss: [\d.]+ .*Distill_loss: [\d.]+ /);
    expect(log).toMatch(/distill_model: local-dir:.*tiny-vit-gelu/);
    expect(existsSync(path.join(runDir, 'checkpoints/epoch_1.pt'))).toBe(true);

    const fin = await finalizeRun(runDir);
    expect(fin.model).toBe(`local-dir:${path.join(plan.outDir, 'models/student')}`);
    expect(fin.convert.verified).toBe(true);
    const out = fin.convert.outputs.safetensors;

    // The reference: open_clip loads the raw checkpoint and the converted folder; both must embed alike,
    // and the model's size must match what cliphub estimated from the config.
    const check = pythonJson<{ maxDiff: number; params: number }>(
      `
import json, sys, torch, open_clip
ckpt, student_dir, out_dir = sys.argv[1:4]
ref = open_clip.create_model('local-dir:' + student_dir)
sd = torch.load(ckpt, map_location='cpu', weights_only=False)['state_dict']
ref.load_state_dict({k.removeprefix('module.'): v for k, v in sd.items()})
conv = open_clip.create_model('local-dir:' + out_dir)
ref.eval(); conv.eval()
torch.manual_seed(0)
img = torch.randn(2, 3, 32, 32); txt = torch.randint(0, 49408, (2, 77))
with torch.no_grad():
    d = max((ref.encode_image(img) - conv.encode_image(img)).abs().max().item(), (ref.encode_text(txt) - conv.encode_text(txt)).abs().max().item())
print(json.dumps({'maxDiff': d, 'params': sum(p.numel() for p in ref.parameters())}))
`,
      [fin.found.checkpoint, path.join(plan.outDir, 'models/student'), path.dirname(out)],
    );
    expect(check.maxDiff).toBe(0);
    const est = configCosts(JSON.parse(readFileSync(studentConfig, 'utf8')))!;
    expect((est.imageMparams + est.textMparams) * 1e6).toBeGreaterThan(check.params * 0.9);
    expect((est.imageMparams + est.textMparams) * 1e6).toBeLessThan(check.params * 1.1);
  }, 180_000);
});
