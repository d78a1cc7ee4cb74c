import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom, tempDir } from '#test-support';
import { emitLaunch } from './emit-launch.js';
import { DistillError } from './errors.js';
import { loadRecipe } from './load-recipe.js';
import { planRecipe, type DistillPlan } from './plan-recipe.js';
import type { Launcher } from './launch-script.js';
import type { RecipeInput } from './recipe-schema.js';
import { asLoaded, baseRecipe } from './test-utils/recipe.js';

// A recipe shared between teams must never become a way to run commands: hostile text in any string field is refused
// by the schema (exit 2), and the emitter quotes every value it writes into launch.sh anyway. Each emitted script is
// run under bash with stub srun/scontrol/torchrun/python/mkdir on PATH; an injected `touch MARKER` would create it.

const tmp = tempDir('cliphub-distill-inject-');
afterAll(() => tmp.cleanup());
const stubs = path.join(tmp.dir, 'stubs');
mkdirSync(stubs);
const STUB_LOG = path.join(tmp.dir, 'stub-calls.log');
// srun runs its command (after its own options) the way the real one would start each task; the others only record.
const STUB_BODIES: Record<string, string> = {
  srun: 'while [ "${1#--}" != "$1" ]; do shift; done\n"$@"',
  scontrol: 'echo node1',
  torchrun: ':',
  python: ':',
  python3: ':',
  mkdir: ':',
};
for (const [name, body] of Object.entries(STUB_BODIES)) {
  writeFileSync(path.join(stubs, name), `#!/bin/sh\necho "${name} $*" >> '${STUB_LOG}'\n${body}\n`);
  chmodSync(path.join(stubs, name), 0o755);
}

let runs = 0;
/**
 * Emits the plan's launch.sh and runs it with the stubs. `refused` when the emitter itself refused the value (a
 * DistillError, exit code 2); either way, whether `marker` exists afterwards.
 */
function runEmitted(
  plan: DistillPlan,
  launcher: Launcher,
  marker: string,
): { refused: boolean; created: boolean; script: string } {
  const outDir = path.join(tmp.dir, `run-${runs++}`);
  try {
    emitLaunch({ ...plan, outDir }, { launcher, force: true });
  } catch (e) {
    expect(e).toBeInstanceOf(DistillError);
    expect((e as DistillError).exitCode).toBe(2);
    return { refused: true, created: existsSync(marker), script: '' };
  }
  const script = path.join(outDir, 'launch.sh');
  spawnSync('bash', [script], {
    cwd: outDir,
    encoding: 'utf8',
    timeout: 20_000,
    env: {
      PATH: `${stubs}${path.delimiter}/usr/bin${path.delimiter}/bin`,
      HOME: tmp.dir,
      SLURM_JOB_NODELIST: 'node1',
      MASTER_ADDR: '127.0.0.1',
    },
  });
  return { refused: false, created: existsSync(marker), script: readFileSync(script, 'utf8') };
}

type Attack = [field: string, change: (r: RecipeInput, hostile: string) => void, launcher: Launcher, hostile: string];
const m = (name: string): string => path.join(tmp.dir, `marker-${name}`);
// The attacks of issue 17 (D1), plus the other fields that reach launch.sh or its comments.
const ATTACKS: Attack[] = [
  [
    'launcher.python',
    (r, h) => (r.launcher = { ...r.launcher, kind: 'slurm', python: h }),
    'slurm',
    `python$(touch ${m('python')})`,
  ],
  [
    'launcher.python (torchrun)',
    (r, h) => (r.launcher = { ...r.launcher, kind: 'torchrun', python: h }),
    'torchrun',
    `py\`touch ${m('py2')}\``,
  ],
  [
    'slurm.time',
    (r, h) => (r.launcher = { ...r.launcher, kind: 'slurm', slurm: { ...r.launcher.slurm, time: h } }),
    'slurm',
    `72:00:00\ntouch ${m('time')}`,
  ],
  [
    'slurm.partition',
    (r, h) => (r.launcher = { ...r.launcher, kind: 'slurm', slurm: { ...r.launcher.slurm, partition: h } }),
    'slurm',
    `gpu\ntouch ${m('part')}`,
  ],
  [
    'slurm.account',
    (r, h) => (r.launcher = { ...r.launcher, kind: 'slurm', slurm: { ...r.launcher.slurm, account: h } }),
    'slurm',
    `acct\ntouch ${m('acct')}`,
  ],
  [
    'slurm.qos',
    (r, h) => (r.launcher = { ...r.launcher, kind: 'slurm', slurm: { ...r.launcher.slurm, qos: h } }),
    'slurm',
    `high\ntouch ${m('qos')}`,
  ],
  ['logging.dir', (r, h) => (r.logging = { ...r.logging, dir: h }), 'torchrun', `logs\ntouch ${m('dir')}\n#`],
  [
    'teacher.pretrained',
    (r, h) => (r.teacher = { ...r.teacher, pretrained: h }),
    'torchrun',
    `openai\ntouch ${m('teacher')} #`,
  ],
  ['student.model', (r, h) => (r.student = { ...r.student, model: h }), 'slurm', `ViT-B-32\rtouch ${m('student')}`],
  [
    'launcher.env value',
    (r, h) => (r.launcher = { ...r.launcher, kind: 'torchrun', env: { NCCL_DEBUG: h } }),
    'torchrun',
    `INFO'; touch ${m('env')}; '`,
  ],
];

describe('distill recipes cannot inject commands into launch.sh', () => {
  for (const [field, change, launcher, hostile] of ATTACKS) {
    it(`${field}: the recipe is refused with exit 2, and the emitter quotes it even when the schema is bypassed`, async () => {
      const input = baseRecipe();
      change(input, hostile);
      const file = path.join(tmp.dir, `${field.replace(/\W+/g, '-')}.json`);
      writeFileSync(file, JSON.stringify(input));
      const refusedByLoader = (() => {
        try {
          loadRecipe(file);
          return null;
        } catch (e) {
          return e;
        }
      })();
      const hasControl = /[\n\r]/.test(hostile);
      if (hasControl) {
        expect(refusedByLoader).toBeInstanceOf(DistillError);
        expect(refusedByLoader).toMatchObject({ code: 'BAD_RECIPE', exitCode: 2 });
        expect((refusedByLoader as Error).message).toMatch(/line breaks or control characters/);
      }
      // Bypass the schema: a plan built from a clean recipe, then the hostile value put straight into it.
      const plan = await planRecipe(asLoaded(baseRecipe(), tmp.dir), { outDir: path.join(tmp.dir, 'unused') });
      const recipe = structuredClone(plan.recipe) as unknown as RecipeInput;
      change(recipe, hostile);
      const marker = /touch ([^\s)`'";]+)/.exec(hostile)![1]!;
      const { refused, created, script } = runEmitted(
        { ...plan, recipe: recipe as DistillPlan['recipe'] },
        launcher,
        marker,
      );
      expect(created, script).toBe(false);
      // The emitter refuses only a #SBATCH value holding a line break; any other value is quoted, written and run.
      expect(refused).toBe(hasControl && field.startsWith('slurm.'));
      // no recipe text starts a line of its own: every line is a comment, a directive or a command cliphub wrote
      for (const line of script.split('\n')) expect(line).not.toMatch(/^\s*touch /);
    });
  }

  it('fuzz: seeded hostile strings in every string field never create a marker (slurm and torchrun)', async () => {
    const rand = seededRandom(17);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const plan = await planRecipe(asLoaded(baseRecipe(), tmp.dir), { outDir: path.join(tmp.dir, 'unused') });
    const PIECES = [
      '$(touch M)',
      '`touch M`',
      '; touch M',
      '&& touch M',
      '| touch M',
      '\ntouch M\n',
      '\rtouch M',
      "'",
      '"',
      '\\',
      '${IFS}',
      '$((1))',
      '#',
      ' ',
      '\t',
      '--wrap=touch M',
      '*',
      '~',
      '\u2028touch M',
      '!!',
      '%j',
      '}',
    ];
    const CONTROL_PIECES = new Set(['\ntouch M\n', '\rtouch M', '\t', '\u2028touch M']);
    let printableOnly = false;
    const hostile = (marker: string): string =>
      Array.from({ length: 1 + Math.floor(rand() * 4) }, () =>
        pick(printableOnly ? PIECES.filter((piece) => !CONTROL_PIECES.has(piece)) : PIECES),
      )
        .join(pick(['', 'x', ' ']))
        .replaceAll('M', marker);
    const stringPaths = (o: unknown, at: string[] = []): string[][] =>
      typeof o === 'string'
        ? [at]
        : Array.isArray(o) || (o && typeof o === 'object')
          ? Object.entries(o as Record<string, unknown>).flatMap(([k, v]) => stringPaths(v, [...at, k]))
          : [];
    const base = structuredClone(plan.recipe) as unknown as Record<string, unknown>;
    base.launcher = {
      ...(base.launcher as object),
      slurm: { partition: 'gpu', account: 'acct', qos: 'normal', time: '72:00:00' },
    };
    base.launcher = { ...(base.launcher as object), env: { NCCL_DEBUG: 'INFO' } };
    const fields = stringPaths(base);
    expect(fields.length).toBeGreaterThan(15);
    const outcomes = { ran: { slurm: 0, torchrun: 0 }, refused: { slurm: 0, torchrun: 0 } };
    for (let round = 0; round < 12; round++) {
      printableOnly = round % 2 === 0; // half the rounds without control characters, so slurm scripts run too
      for (const launcher of ['slurm', 'torchrun'] as const) {
        const marker = m(`fuzz-${round}-${launcher}`);
        const recipe = structuredClone(base);
        // every string field of the recipe gets a hostile value in each round
        for (const at of fields) {
          let node = recipe as Record<string, unknown>;
          for (const k of at.slice(0, -1)) node = node[k] as Record<string, unknown>;
          node[at.at(-1)!] = hostile(marker);
        }
        const r = runEmitted({ ...plan, recipe: recipe as unknown as DistillPlan['recipe'] }, launcher, marker);
        expect(r.created, r.script).toBe(false);
        for (const line of r.script.split('\n')) expect(line).not.toMatch(/^\s*touch /);
        if (printableOnly) expect(r.refused).toBe(false);
        outcomes[r.refused ? 'refused' : 'ran'][launcher]++;
      }
    }
    // torchrun scripts have no #SBATCH lines: every one was written and run
    expect(outcomes.ran.torchrun).toBe(12);
    expect(outcomes.ran.slurm).toBeGreaterThanOrEqual(6);
    // the stubs did run: the scripts got as far as launching
    expect(readFileSync(STUB_LOG, 'utf8')).toMatch(/^(srun|torchrun) /m);
  }, 120_000);
});
