import path from 'node:path';
import { emitLaunch, finalizeRun, findRecipe, listRecipes, planRecipe, type DistillPlan, type Launcher } from '@cliphub/distill';
import { parseCommandArgs, UsageError, writeJson, type Command, type CommandIO } from '../command.js';

const usage = `Usage: cliphub distill <list|plan|emit|finalize> [options]

Distillation recipes compiled to open_clip_train launches (torchrun or SLURM), checked before any
GPU hour is spent. cliphub never trains by itself.

  cliphub distill list [--json]
      the shipped recipes and their files
  cliphub distill plan RECIPE [--json]
      resolve teacher and student, run every check, estimate memory per GPU and GPU-hours
  cliphub distill emit RECIPE [--launcher torchrun|slurm] --out DIR [--force]
      write DIR/launch.sh, DIR/open_clip_train_args.json (the exact argument list) and its entry script;
      refuses when a check fails unless --force
  cliphub distill finalize RUN_DIR [--out DIR] [--force] [--json]
      convert the run's newest epoch_N.pt / epoch_latest.pt to safetensors + open_clip_config.json
      (verified tensor by tensor); publish the result with 'cliphub push'

RECIPE is a .yaml/.json file or the name of a shipped recipe.

Exit codes: 0 ok, 1 a check failed, 2 bad input.
`;

const MARK = { ok: 'ok     ', notice: 'notice ', warning: 'warning', error: 'ERROR  ' } as const;

function planText(p: DistillPlan): string {
  const lines = [`recipe ${p.recipe.name} (${p.file})`, `  ${p.recipe.description}`];
  for (const c of p.checks) lines.push(`  ${MARK[c.level]} ${c.id}: ${c.message}`);
  lines.push(p.ok ? 'all checks passed' : `${p.checks.filter((c) => c.level === 'error').length} check(s) failed`);
  return `${lines.join('\n')}\n`;
}

function planJson(p: DistillPlan): unknown {
  return { recipe: p.recipe.name, file: p.file, ok: p.ok, checks: p.checks, args: p.args, schedule: p.schedule, memory: p.memory, compute: p.compute, gpu: p.gpu };
}

function one(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`distill ${what} takes exactly one argument (see --help)`);
  return positionals[0]!;
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  const abs = (p: string): string => path.resolve(io.cwd, p);
  const recipeArg = (p: string): string => (/[/\\]|\.(ya?ml|json)$/.test(p) ? abs(p) : p);
  if (sub === 'list') {
    const { values, positionals } = parseCommandArgs(rest, { json: { type: 'boolean', default: false } });
    if (positionals.length) throw new UsageError('distill list takes no arguments');
    const all = listRecipes();
    if (values.json) writeJson(io, all);
    else for (const r of all) io.stdout.write(`${r.name}\n  ${r.teacher} -> ${r.student}\n  ${r.path}\n`);
    return 0;
  }
  if (sub === 'plan') {
    const { values, positionals } = parseCommandArgs(rest, { json: { type: 'boolean', default: false } });
    const plan = await planRecipe(findRecipe(recipeArg(one(positionals, 'plan'))));
    if (values.json) writeJson(io, planJson(plan));
    else io.stdout.write(planText(plan));
    return plan.ok ? 0 : 1;
  }
  if (sub === 'emit') {
    const { values, positionals } = parseCommandArgs(rest, { launcher: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean', default: false } });
    if (!values.out) throw new UsageError('distill emit needs --out DIR');
    if (values.launcher !== undefined && values.launcher !== 'torchrun' && values.launcher !== 'slurm') {
      throw new UsageError(`--launcher must be torchrun or slurm, not '${values.launcher}'`);
    }
    const loaded = findRecipe(recipeArg(one(positionals, 'emit')));
    const plan = await planRecipe(loaded, { outDir: abs(values.out) });
    const launcher: Launcher = (values.launcher as Launcher | undefined) ?? plan.recipe.launcher.kind;
    for (const c of plan.checks.filter((x) => x.level === 'warning' || x.level === 'notice')) io.stderr.write(`cliphub: ${c.level}: ${c.message}\n`);
    const out = emitLaunch(plan, { launcher, force: values.force });
    io.stdout.write(`wrote ${launcher} launch for ${plan.recipe.name} to ${out.outDir}\n  run: ${launcher === 'slurm' ? 'sbatch' : 'bash'} ${path.join(out.outDir, 'launch.sh')}\n`);
    return 0;
  }
  if (sub === 'finalize') {
    const { values, positionals } = parseCommandArgs(rest, { out: { type: 'string' }, force: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } });
    const result = await finalizeRun(abs(one(positionals, 'finalize')), { ...(values.out ? { outDir: abs(values.out) } : {}), force: values.force });
    if (values.json) writeJson(io, result);
    else {
      const dir = path.dirname(result.convert.outputs.safetensors);
      io.stdout.write(
        `finalized ${result.found.checkpoint}${result.model ? ` (${result.model})` : ''}\n  -> ${result.convert.outputs.safetensors} (${result.convert.tensors} tensors, verified)\n  publish: cliphub push ${dir} --repo ORG/NAME\n`,
      );
    }
    return 0;
  }
  throw new UsageError(sub ? `unknown distill subcommand '${sub}'; use list, plan, emit or finalize` : 'distill needs a subcommand: list, plan, emit or finalize (see --help)');
}

const command: Command = { name: 'distill', summary: 'plan, emit and finalize open_clip_train distillation runs', usage, run };
export default command;
