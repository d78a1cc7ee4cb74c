import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { generatedFixtures, hasOracle, oraclePython, tempDir } from '#test-support';
import { runMain, type MainResult } from '../test-utils/run-main.js';

const tmp = tempDir('cliphub-cli-distill-');
afterAll(tmp.cleanup);

function cli(...argv: string[]): Promise<MainResult> {
  return runMain(argv, { env: {}, cwd: tmp.dir });
}

const fixture = path.join(generatedFixtures, 'models/tiny-vit-quickgelu');

/** An open_clip_train run folder as the trainer leaves it: checkpoints/epoch_N.pt and params.txt naming the model. */
function fakeRun(name: string): string {
  const run = path.join(tmp.dir, name);
  mkdirSync(path.join(run, 'checkpoints'), { recursive: true });
  if (!existsSync(path.join(tmp.dir, 'cfg'))) {
    mkdirSync(path.join(tmp.dir, 'cfg'));
    copyFileSync(path.join(fixture, 'open_clip_config.json'), path.join(tmp.dir, 'cfg/open_clip_config.json'));
  }
  copyFileSync(path.join(fixture, 'epoch_1.pt'), path.join(run, 'checkpoints/epoch_1.pt'));
  writeFileSync(
    path.join(run, 'params.txt'),
    `model: local-dir:${path.join(tmp.dir, 'cfg')}\ndistill_model: ViT-B-32\ndistill_pretrained: openai\nforce_quick_gelu: False\n`,
  );
  return run;
}

describe('cliphub distill', () => {
  it('list --json names the shipped recipes and their files', async () => {
    const r = await cli('distill', 'list', '--json');
    expect(r.code).toBe(0);
    const all = JSON.parse(r.out) as Array<{ name: string; path: string; teacher: string }>;
    expect(all).toHaveLength(5);
    expect(all.find((x) => x.name === 'vit-l-14-openai-to-vit-b-32')).toMatchObject({
      teacher: 'ViT-L-14 (openai)',
      path: expect.stringMatching(/recipes\/vit-l-14-openai-to-vit-b-32\.yaml$/),
    });
  });

  it('plan prints the checks, exits 0 when they pass and 1 when one fails', async () => {
    const ok = await cli('distill', 'plan', 'vit-l-14-openai-to-vit-b-32');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/notice {2}quickgelu: teacher ViT-L-14:openai was trained with QuickGELU/);
    expect(ok.out).toMatch(/ok {6}memory: ~\d+\.\d GiB per GPU/);
    expect(ok.out.trim().endsWith('all checks passed')).toBe(true);
    const bad = await cli('distill', 'plan', 'vit-so400m-14-siglip-to-vit-b-16-siglip', '--json');
    expect(bad.code).toBe(1);
    expect(
      (JSON.parse(bad.out) as { checks: Array<{ id: string; level: string }> }).checks
        .filter((c) => c.level === 'error')
        .map((c) => c.id),
    ).toEqual(['logit-bias', 'logit-bias']);
  });

  it('emit writes launch.sh and the argument list for a recipe file; bad input exits 2 with one line', async () => {
    const file = path.join(tmp.dir, 'mine.yaml');
    const recipe = {
      name: 'mine',
      description: 'cli test',
      sources: ['test'],
      teacher: { model: 'ViT-B-16:datacomp_xl_s13b_b90k' },
      student: { model: 'ViT-B-32' },
      data: { kind: 'csv', path: '/data/train.csv', samples: 1_000_000 },
      schedule: { epochs: 5, warmup: 500, lr: 5e-4, wd: 0.2, batchPerGpu: 128, precision: 'amp' },
      loss: { mode: 'distill+contrastive' },
      hardware: { nodes: 2, gpusPerNode: 4, gpu: 'L40S' },
      launcher: { kind: 'torchrun' },
      logging: { dir: '/logs', name: 'mine' },
    };
    writeFileSync(file, stringify(recipe));
    const r = await cli('distill', 'emit', 'mine.yaml', '--launcher', 'slurm', '--out', 'out');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const args = JSON.parse(readFileSync(path.join(tmp.dir, 'out/open_clip_train_args.json'), 'utf8')) as string[];
    expect(args.slice(0, 6)).toEqual([
      '--model',
      'ViT-B-32',
      '--distill-model',
      'ViT-B-16',
      '--distill-pretrained',
      'datacomp_xl_s13b_b90k',
    ]);
    expect(args.slice(args.indexOf('--dataset-type'), args.indexOf('--dataset-type') + 4)).toEqual([
      '--dataset-type',
      'csv',
      '--train-data',
      '/data/train.csv',
    ]);
    expect(readFileSync(path.join(tmp.dir, 'out/launch.sh'), 'utf8')).toContain('#SBATCH --nodes=2');

    writeFileSync(file, stringify({ ...recipe, schedule: { ...recipe.schedule, accumFreq: 2 } }));
    const refused = await cli('distill', 'emit', 'mine.yaml', '--out', 'out2');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(
      /^cliphub: 1 check\(s\) failed for mine: schedule.accumFreq is 2, but open_clip_train 3\.3\.0 asserts accum_freq == 1 when distilling/,
    );

    const typo = await cli('distill', 'plan', 'vit-l-14-openai-to-vit-b-23');
    expect(typo.code).toBe(2);
    expect(typo.err.trim().split('\n')).toHaveLength(1);
    expect(typo.err).toMatch(/did you mean vit-l-14-openai-to-vit-b-32/);
    expect((await cli('distill', 'emit', 'mine.yaml', '--out', 'o', '--launcher', 'mpirun')).err).toBe(
      "cliphub: --launcher must be torchrun or slurm, not 'mpirun'\n",
    );
    expect((await cli('distill', 'finalize', 'nowhere')).err).toMatch(/^cliphub: run folder .*nowhere does not exist/);

    // issue 17 D1: a line break in a recipe string is bad input, one line, exit 2, nothing written
    writeFileSync(file, stringify({ ...recipe, teacher: { ...recipe.teacher, pretrained: 'openai\ntouch X #' } }));
    const injected = await cli('distill', 'emit', 'mine.yaml', '--out', 'out3');
    expect(injected.code).toBe(2);
    expect(injected.err).toMatch(/^cliphub: .*teacher\.pretrained: must not contain line breaks or control characters/);
    expect(injected.err.trim().split('\n')).toHaveLength(1);
    expect(existsSync(path.join(tmp.dir, 'out3'))).toBe(false);
  });
});

// The whole pipeline (train, finalize, push) runs in packages/distill/src/cpu-run.test.ts; here, the
// command's exit codes and output on a trainer-shaped run folder made from a fixture checkpoint.
// concurrent: each case is mostly a Python child process, and the cases share nothing but cfg/
describe.skipIf(!hasOracle || !existsSync(fixture))('cliphub distill finalize', { concurrent: true }, () => {
  it('converts, makes the reference with open_clip and validates: exit 0 and a PASS report', async () => {
    const run = fakeRun('run-ok');
    const r = await cli('distill', 'finalize', 'run-ok', '--python', oraclePython, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.out) as {
      checkpoint: string;
      epoch: number;
      teacher: string;
      validation: {
        verdict: string;
        profile: string;
        reports: { json: string };
        towers: Array<{ tower: string; minCosine: number }>;
      };
      push: unknown;
    };
    expect(res).toMatchObject({
      checkpoint: path.join(run, 'checkpoints/epoch_1.pt'),
      epoch: 1,
      teacher: 'ViT-B-32 (openai)',
      push: null,
    });
    expect(res.validation).toMatchObject({ verdict: 'pass', profile: 'fp32' });
    expect(res.validation.towers.map((t) => t.tower)).toEqual(['image', 'text']);
    expect(res.validation.reports.json).toBe(path.join(run, 'final/validation/report.json'));
    expect(readdirSync(path.join(run, 'final')).sort()).toEqual([
      'onnx',
      'open_clip_config.json',
      'open_clip_model.safetensors',
      'validation',
    ]);
    expect(readdirSync(path.join(run, 'final/validation')).sort()).toEqual([
      'junit.xml',
      'reference.safetensors',
      'report.html',
      'report.json',
    ]);
    // the output is kept: a second finalize needs --force
    const again = await cli('distill', 'finalize', 'run-ok', '--python', oraclePython);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already holds a finalized model; pass --force/);
  });

  it('a validation that fails exits 1, keeps the report, and publishes nothing', async () => {
    fakeRun('run-int8');
    // int8 weights cannot meet the fp32 profile (relL2 ~1e-2 > 1e-4): a real failure, nothing corrupted
    const r = await runMain(
      [
        'distill',
        'finalize',
        'run-int8',
        '--python',
        oraclePython,
        '--onnx-dtype',
        'int8',
        '--profile',
        'fp32',
        '--push',
        'team/never',
        '--hub-url',
        'http://127.0.0.1:9',
      ],
      {
        env: { HF_TOKEN: 'hf_unused_0123456789abcdef' },
        cwd: tmp.dir,
      },
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/validation {3}FAIL \(profile fp32\)/);
    expect(r.out).toMatch(/^ {4}failed image\.max_rel_l2: 0\.0\d+ \(limit 1\.00e-4\)$/m);
    expect(r.out).toMatch(
      /diagnosis: text tower deviates like int8 arithmetic .*judge a int8 artifact with --profile int8/,
    );
    expect(r.err).toMatch(/^cliphub: not published to team\/never: validation failed \(see .*report\.json\)$/m);
    const report = JSON.parse(readFileSync(path.join(tmp.dir, 'run-int8/final/validation/report.json'), 'utf8')) as {
      verdict: string;
    };
    expect(report.verdict).toBe('fail');
  });

  it('bad input exits 2 with the fix: no checkpoint, no usable Python; --no-validate skips validation', async () => {
    mkdirSync(path.join(tmp.dir, 'empty-run/checkpoints'), { recursive: true });
    const none = await cli('distill', 'finalize', 'empty-run');
    expect(none.code).toBe(2);
    expect(none.err).toMatch(
      /^cliphub: no epoch_N\.pt or epoch_latest\.pt in .*empty-run\/checkpoints; has the run finished an epoch\?\n$/,
    );

    fakeRun('run-nopy');
    const nopy = await cli('distill', 'finalize', 'run-nopy', '--python', '/nonexistent/bin/python3');
    expect(nopy.code).toBe(2);
    expect(nopy.err).toBe(
      'cliphub: cannot run /nonexistent/bin/python3 (ENOENT) to make the validation reference with open_clip; pass --python PATH to the interpreter that ran open_clip_train (or set PYTHON), or --no-validate to skip validation\n',
    );
    expect(existsSync(path.join(tmp.dir, 'run-nopy/final'))).toBe(false); // checked before any conversion

    // a Python without open_clip is named with what it cannot import (a stand-in answers the probe)
    writeFileSync(
      path.join(tmp.dir, 'fake-python'),
      '#!/bin/sh\necho \'{"python": "3.0", "missing": ["open_clip", "torch"], "open_clip": null, "torch": null}\'\n',
      { mode: 0o755 },
    );
    const noclip = await cli('distill', 'finalize', 'run-nopy', '--python', './fake-python');
    expect(noclip.code).toBe(2);
    expect(noclip.err).toMatch(
      /fake-python cannot import open_clip, torch, needed to make the validation reference; install open_clip_torch there or pass --python PATH/,
    );

    const skip = await cli('distill', 'finalize', 'run-nopy', '--no-validate');
    expect(skip.code).toBe(0);
    expect(skip.err).toBe(
      'cliphub: validation skipped (--no-validate): the ONNX export was not compared with open_clip\n',
    );
    expect(readdirSync(path.join(tmp.dir, 'run-nopy/final')).sort()).toEqual([
      'onnx',
      'open_clip_config.json',
      'open_clip_model.safetensors',
    ]);
    expect(readdirSync(path.join(tmp.dir, 'run-nopy/final/onnx')).sort()).toEqual([
      'cliphub.json',
      'open_clip_config.json',
      'text.onnx',
      'vision.onnx',
    ]);
    expect((await cli('distill', 'finalize', 'run-nopy', '--no-validate', '--python', 'python3')).err).toBe(
      'cliphub: --python makes the validation reference; it cannot go with --no-validate\n',
    );
  });
});
