import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { tempDir } from '#test-support';
import { runMain, type MainResult } from '../test-utils/run-main.js';

const tmp = tempDir('cliphub-cli-distill-');
afterAll(tmp.cleanup);

function cli(...argv: string[]): Promise<MainResult> {
  return runMain(argv, { env: {}, cwd: tmp.dir });
}

describe('cliphub distill', () => {
  it('list --json names the shipped recipes and their files', async () => {
    const r = await cli('distill', 'list', '--json');
    expect(r.code).toBe(0);
    const all = JSON.parse(r.out) as Array<{ name: string; path: string; teacher: string }>;
    expect(all).toHaveLength(5);
    expect(all.find((x) => x.name === 'vit-l-14-openai-to-vit-b-32')).toMatchObject({ teacher: 'ViT-L-14 (openai)', path: expect.stringMatching(/recipes\/vit-l-14-openai-to-vit-b-32\.yaml$/) });
  });

  it('plan prints the checks, exits 0 when they pass and 1 when one fails', async () => {
    const ok = await cli('distill', 'plan', 'vit-l-14-openai-to-vit-b-32');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/notice {2}quickgelu: teacher ViT-L-14:openai was trained with QuickGELU/);
    expect(ok.out).toMatch(/ok {6}memory: ~\d+\.\d GiB per GPU/);
    expect(ok.out.trim().endsWith('all checks passed')).toBe(true);
    const bad = await cli('distill', 'plan', 'vit-so400m-14-siglip-to-vit-b-16-siglip', '--json');
    expect(bad.code).toBe(1);
    expect((JSON.parse(bad.out) as { checks: Array<{ id: string; level: string }> }).checks.filter((c) => c.level === 'error').map((c) => c.id)).toEqual(['logit-bias', 'logit-bias']);
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
    expect(args.slice(0, 6)).toEqual(['--model', 'ViT-B-32', '--distill-model', 'ViT-B-16', '--distill-pretrained', 'datacomp_xl_s13b_b90k']);
    expect(args.slice(args.indexOf('--dataset-type'), args.indexOf('--dataset-type') + 4)).toEqual(['--dataset-type', 'csv', '--train-data', '/data/train.csv']);
    expect(readFileSync(path.join(tmp.dir, 'out/launch.sh'), 'utf8')).toContain('#SBATCH --nodes=2');

    writeFileSync(file, stringify({ ...recipe, schedule: { ...recipe.schedule, accumFreq: 2 } }));
    const refused = await cli('distill', 'emit', 'mine.yaml', '--out', 'out2');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^cliphub: 1 check\(s\) failed for mine: schedule.accumFreq is 2, but open_clip_train 3\.3\.0 asserts accum_freq == 1 when distilling/);

    const typo = await cli('distill', 'plan', 'vit-l-14-openai-to-vit-b-23');
    expect(typo.code).toBe(2);
    expect(typo.err.trim().split('\n')).toHaveLength(1);
    expect(typo.err).toMatch(/did you mean vit-l-14-openai-to-vit-b-32/);
    expect((await cli('distill', 'emit', 'mine.yaml', '--out', 'o', '--launcher', 'mpirun')).err).toBe("cliphub: --launcher must be torchrun or slurm, not 'mpirun'\n");
    expect((await cli('distill', 'finalize', 'nowhere')).err).toMatch(/^cliphub: run folder .*nowhere does not exist/);
  });
});
