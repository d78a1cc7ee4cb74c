import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasOracle, pythonJson, tempDir } from '#test-support';
import { emitLaunch } from './emit-launch.js';
import { DistillError } from './errors.js';
import { planRecipe, type DistillPlan } from './plan-recipe.js';
import { findRecipe, listRecipes } from './shipped-recipes.js';

const tmp = tempDir('cliphub-distill-emit-');
afterAll(() => tmp.cleanup());

const plans: DistillPlan[] = [];
async function allPlans(): Promise<DistillPlan[]> {
  if (plans.length === 0) {
    for (const r of listRecipes())
      plans.push(await planRecipe(findRecipe(r.path), { outDir: path.join(tmp.dir, r.name) }));
  }
  return plans;
}
const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;

describe('emitLaunch', () => {
  it('writes launch.sh (torchrun single/multi-node, slurm), the argument JSON and the entry; bash -n accepts every script', async () => {
    for (const plan of await allPlans()) {
      for (const launcher of ['torchrun', 'slurm'] as const) {
        const p = { ...plan, outDir: path.join(plan.outDir, launcher) };
        const out = emitLaunch(p, { launcher, force: true });
        const sh = path.join(out.outDir, 'launch.sh');
        expect(statSync(sh).mode & 0o111).not.toBe(0);
        expect(JSON.parse(readFileSync(path.join(out.outDir, 'open_clip_train_args.json'), 'utf8'))).toEqual(plan.args);
        expect(existsSync(path.join(out.outDir, 'open_clip_train_launch.py'))).toBe(true);
        const text = readFileSync(sh, 'utf8');
        const syntax = spawnSync('bash', ['-n', sh], { encoding: 'utf8' });
        expect(syntax.stderr).toBe('');
        expect(syntax.status).toBe(0);
        if (hasShellcheck) expect(spawnSync('shellcheck', [sh], { encoding: 'utf8' }).stdout).toBe('');
        const h = plan.recipe.hardware;
        if (launcher === 'slurm') {
          expect(text).toContain(`#SBATCH --nodes=${h.nodes}`);
          expect(text).toContain(`#SBATCH --ntasks-per-node=${h.gpusPerNode}`);
          expect(text).toMatch(
            /\nDEFAULT_PYTHON=python\nsrun --cpu-bind=v --accel-bind=gn "\$\{PYTHON:-\$DEFAULT_PYTHON\}" -u "\$OUT_DIR\/open_clip_train_launch.py"\n/,
          );
        } else if (h.nodes === 1) {
          expect(text).toContain(`--standalone --nnodes 1 --nproc-per-node ${h.gpusPerNode}`);
        } else {
          expect(text).toContain(
            `--nnodes ${h.nodes} --nproc-per-node ${h.gpusPerNode} --rdzv-backend c10d --rdzv-endpoint "$MASTER_ADDR:$MASTER_PORT"`,
          );
        }
      }
    }
  });

  it('refuses a plan with failed checks unless forced, and an existing launch.sh', async () => {
    const siglip = (await allPlans()).find((p) => p.recipe.name.includes('siglip'))!;
    expect(() => emitLaunch(siglip, { launcher: 'slurm' })).toThrowError(
      /^2 check\(s\) failed for vit-so400m-14-siglip-to-vit-b-16-siglip: teacher ViT-SO400M-14-SigLIP:webli has a SigLIP logit_bias/,
    );
    const ok = (await allPlans()).find((p) => p.ok)!;
    const p = { ...ok, outDir: path.join(tmp.dir, 'twice') };
    emitLaunch(p, { launcher: 'torchrun' });
    try {
      emitLaunch(p, { launcher: 'torchrun' });
      throw new Error('overwrote');
    } catch (e) {
      expect((e as DistillError).code).toBe('OUT_EXISTS');
    }
  });
});

describe.skipIf(!hasOracle)('shipped recipes against the real open_clip_train.params.parse_args', () => {
  it('parses every emitted argument list to the intended values (and rejects an unknown flag, as cliphub does)', async () => {
    const all = await allPlans();
    const parsed = pythonJson<
      Array<{
        error?: string;
        model: string;
        distill_model: string;
        distill_pretrained: string;
        accum_freq: number;
        batch_size: number;
        epochs: number;
        resume: string | null;
      }>
    >(
      `
import json, sys, contextlib, io
from open_clip_train.params import parse_args
out = []
for args in json.loads(sys.argv[1]):
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            a = parse_args(args)
        out.append(dict(model=a.model, distill_model=a.distill_model, distill_pretrained=a.distill_pretrained,
                        accum_freq=a.accum_freq, batch_size=a.batch_size, epochs=a.epochs, resume=a.resume))
    except SystemExit:
        out.append(dict(error=err.getvalue().strip().splitlines()[-1]))
print(json.dumps(out))
`,
      // One Python process for all (importing open_clip_train takes seconds); the last list must fail.
      [JSON.stringify([...all.map((p) => p.args), ['--distill-weight', '0.5']])],
    );
    expect(parsed).toHaveLength(6);
    expect(parsed[5]!.error).toMatch(/unrecognized arguments: --distill-weight 0.5/);
    all.forEach((p, i) => {
      const got = parsed[i]!;
      expect(got.error).toBeUndefined();
      expect(got).toMatchObject({
        model: p.student.trainModel,
        distill_model: p.teacher.trainModel,
        distill_pretrained: p.teacher.trainPretrained,
        accum_freq: 1,
        batch_size: p.recipe.schedule.batchPerGpu,
        epochs: p.schedule.epochs,
        resume: 'latest',
      });
    });
    expect(parsed.find((_, i) => all[i]!.recipe.name === 'vit-l-14-openai-to-vit-b-32')!.distill_model).toBe(
      'ViT-L-14-quickgelu',
    );
  });
});
