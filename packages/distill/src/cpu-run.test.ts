import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { generatedFixtures, hasOracle, oraclePython, pythonJson, runCommand, tempDir } from '#test-support';
// the Hub server is this test's fixture; finalize only talks HTTP to it
import { createHubServer } from '@cliphub/hub-server';
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
const TOKEN = 'hf_distilltest_0123456789abcdef';

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
  it('emits a torchrun launch that trains, logs the distillation loss, checkpoints, and finalizes: converts, validates, publishes', async () => {
    const logs = path.join(tmp.dir, 'logs');
    const file = path.join(tmp.dir, 'tiny.yaml');
    writeFileSync(file, stringify(tinyRecipe(logs)));
    const plan = await planRecipe(loadRecipe(file), { outDir: path.join(tmp.dir, 'out') });
    expect(plan.checks.filter((c) => c.level === 'error')).toEqual([]);
    expect(plan.schedule).toMatchObject({ globalBatch: 8, stepsPerEpoch: 8, totalSteps: 8 });
    emitLaunch(plan, { launcher: 'torchrun' });

    const torchrun = path.join(path.dirname(oraclePython), 'torchrun');
    // async: the training run takes tens of seconds, which a sync spawn would keep from vitest's worker RPC
    const run = await runCommand('bash', [path.join(plan.outDir, 'launch.sh')], {
      cwd: tmp.dir,
      env: { ...process.env, TORCHRUN: torchrun },
      timeoutMs: 120_000,
    });
    expect(run.status, run.stderr.slice(-2000)).toBe(0);

    const runDir = path.join(logs, 'tiny');
    const log = readFileSync(path.join(runDir, 'out.log'), 'utf8');
    const steps = log.split('\n').filter((l) => l.includes('Train Epoch: 0'));
    expect(steps.length).toBeGreaterThanOrEqual(2);
    for (const l of steps) expect(l).toMatch(/Contrastive_loss: [\d.]+ .*Distill_loss: [\d.]+ /);
    expect(log).toMatch(/distill_model: local-dir:.*tiny-vit-gelu/);
    expect(existsSync(path.join(runDir, 'checkpoints/epoch_1.pt'))).toBe(true);

    // finalize: safetensors + ONNX, a reference made by real open_clip from the converted folder,
    // a PASS validation, and a push to a real Hub server in this process.
    writeFileSync(path.join(tmp.dir, 'tokens'), `${TOKEN} team write\n`);
    const hub = await createHubServer({
      dataDir: path.join(tmp.dir, 'hub'),
      tokensFile: path.join(tmp.dir, 'tokens'),
      port: 0,
      host: '127.0.0.1',
      log: () => {},
    });
    let fin: Awaited<ReturnType<typeof finalizeRun>>;
    let tree: Array<{ path: string; type: string; size: number }>;
    let card: string;
    try {
      fin = await finalizeRun(runDir, {
        python: oraclePython,
        push: { repo: 'team/tiny-student', hubUrl: hub.url, token: TOKEN },
      });
      const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
      tree = (await (
        await fetch(`${hub.url}/api/models/team/tiny-student/tree/main?recursive=true`, auth)
      ).json()) as typeof tree;
      card = await (await fetch(`${hub.url}/team/tiny-student/resolve/main/README.md`, auth)).text();
    } finally {
      await hub.close();
    }
    expect(fin.model).toBe(`local-dir:${path.join(plan.outDir, 'models/student')}`);
    expect(fin.teacher).toBe(`local-dir:${teacherDir} (${teacherDir}/open_clip_model.safetensors)`);
    expect(fin.outDir).toBe(path.join(runDir, 'final'));
    expect(fin.convert.verified).toBe(true);
    expect(fin.onnx.files).toEqual(['cliphub.json', 'open_clip_config.json', 'text.onnx', 'vision.onnx']);
    const v = fin.validation!;
    expect(v.python.openClipVersion).toBe('3.3.0');
    expect(v.verdict).toBe('pass');
    expect(v.result.profile.name).toBe('fp32');
    expect(v.result.reference).toMatchObject({ against: 'cpu_fp32', n: 4, embedDim: 16 });
    for (const t of v.result.towers) expect(t.minCosine).toBeGreaterThan(0.99999);
    const report = JSON.parse(readFileSync(v.reports.json, 'utf8')) as {
      tool: string;
      verdict: string;
      results: Array<{ artifact: { kind: string } }>;
    };
    expect(report).toMatchObject({ tool: 'cliphub validate', verdict: 'pass' });
    expect(report.results[0]!.artifact.kind).toBe('onnx');
    expect(fin.notes).toEqual([]);

    // the published repo: open_clip's hf-hub layout, the ONNX export under onnx/, a card with the verdict
    expect(fin.push!.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(
      tree
        .filter((f) => f.type === 'file')
        .map((f) => f.path)
        .sort(),
    ).toEqual([
      '.gitattributes', // written by the Hub when it creates a repo
      'README.md',
      'cliphub-validation.json', // the card's validation summary as data, for the Hub server's model page
      'onnx/cliphub.json',
      'onnx/open_clip_config.json',
      'onnx/text.onnx',
      'onnx/vision.onnx',
      'open_clip_config.json',
      'open_clip_model.safetensors',
    ]);
    expect(tree.find((f) => f.path === 'open_clip_model.safetensors')!.size).toBe(
      readFileSync(fin.convert.outputs.safetensors).length,
    );
    expect(card).toMatch(
      /student distilled with open_clip_train from local-dir:tiny-vit-gelu \(open_clip_model\.safetensors\), finalized by cliphub from `epoch_latest\.pt`/,
    );
    expect(card).not.toContain(tmp.dir);
    expect(card).not.toContain(generatedFixtures);
    expect(card).toMatch(/## Validation\s+cliphub validate: \*\*passed\*\*/);
    expect(card).toMatch(/- onnx/);

    // The reference itself is checked independently: open_clip loads the raw checkpoint and the
    // converted folder; both must embed alike, and the finalize reference must hold those embeddings.
    // The model's size must match what cliphub estimated from the config.
    const out = fin.convert.outputs.safetensors;
    const check = pythonJson<{ maxDiff: number; refDiff: number; params: number }>(
      `
import json, sys, torch, open_clip
from safetensors.torch import load_file
ckpt, student_dir, out_dir, ref_file = sys.argv[1:5]
ref = open_clip.create_model('local-dir:' + student_dir)
sd = torch.load(ckpt, map_location='cpu', weights_only=False)['state_dict']
ref.load_state_dict({k.removeprefix('module.'): v for k, v in sd.items()})
conv = open_clip.create_model('local-dir:' + out_dir)
ref.eval(); conv.eval()
torch.manual_seed(0)
img = torch.randn(2, 3, 32, 32); txt = torch.randint(0, 49408, (2, 77))
r = load_file(ref_file)
with torch.no_grad():
    d = max((ref.encode_image(img) - conv.encode_image(img)).abs().max().item(), (ref.encode_text(txt) - conv.encode_text(txt)).abs().max().item())
    e = max((ref.encode_image(r['inputs.pixel_values']) - r['cpu_fp32.image_embeds']).abs().max().item(), (ref.encode_text(r['inputs.input_ids']) - r['cpu_fp32.text_embeds']).abs().max().item())
print(json.dumps({'maxDiff': d, 'refDiff': e, 'params': sum(p.numel() for p in ref.parameters())}))
`,
      [fin.found.checkpoint, path.join(plan.outDir, 'models/student'), path.dirname(out), v.reference],
    );
    expect(check.maxDiff).toBe(0);
    expect(check.refDiff).toBeLessThan(1e-5);
    const est = configCosts(JSON.parse(readFileSync(studentConfig, 'utf8')))!;
    expect((est.imageMparams + est.textMparams) * 1e6).toBeGreaterThan(check.params * 0.9);
    expect((est.imageMparams + est.textMparams) * 1e6).toBeLessThan(check.params * 1.1);
  }, 180_000);
});
