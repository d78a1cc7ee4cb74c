import path from 'node:path';
import {
  emitLaunch,
  finalizeRun,
  findRecipe,
  listRecipes,
  planRecipe,
  type DistillPlan,
  type FinalizeResult,
  type Launcher,
} from '@cliphub/distill';
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
  cliphub distill finalize RUN_DIR [--out DIR] [--python PATH | --no-validate] [--push ORG/NAME] ...
      take the run's newest epoch_N.pt / epoch_latest.pt and write to DIR (default RUN_DIR/final):
        open_clip_model.safetensors + open_clip_config.json   verified tensor by tensor
        onnx/                vision.onnx, text.onnx, open_clip_config.json, cliphub.json
        validation/          reference.safetensors, made from the converted folder by real open_clip
                             (tools/reference/make_reference.py, CPU fp32, seeded inputs), and the
                             ONNX export's report.json / junit.xml / report.html against it
      then, with --push, publish DIR with the ONNX export under onnx/ and the validation summary in
      the model card (only when validation passed)
      --python PATH        Python with open_clip, torch and safetensors (the one that ran
                           open_clip_train); default $PYTHON, else python3 on PATH
      --no-validate        skip the reference and validation (e.g. no open_clip where you finalize)
      --onnx-dtype D       fp32 | fp16 | int8 (default fp32)
      --towers T           vision,text (default both)
      --profile P          validation tolerance profile: auto | fp32 | fp16 | bf16 | int8 (default auto)
      --samples N          seeded samples in the reference (default 4)
      --push ORG/NAME      publish after a passing validation; token from HF_TOKEN or
                           ~/.cache/huggingface/token
      --hub-url URL        the Hub (default HF_ENDPOINT or https://huggingface.co)
      --private            create the repo private
      --force              replace an earlier finalize in DIR
      --json               print a machine-readable result
      CLIPHUB_MAKE_REFERENCE=PATH picks make_reference.py when cliphub runs outside its checkout.

RECIPE is a .yaml/.json file or the name of a shipped recipe.

Exit codes: 0 ok, 1 a check failed (plan, emit; finalize: validation failed), 2 bad input
(finalize: no checkpoint, no usable Python without --no-validate).
`;

const MARK = { ok: 'ok     ', notice: 'notice ', warning: 'warning', error: 'ERROR  ' } as const;

function planText(p: DistillPlan): string {
  const lines = [`recipe ${p.recipe.name} (${p.file})`, `  ${p.recipe.description}`];
  for (const c of p.checks) lines.push(`  ${MARK[c.level]} ${c.id}: ${c.message}`);
  lines.push(p.ok ? 'all checks passed' : `${p.checks.filter((c) => c.level === 'error').length} check(s) failed`);
  return `${lines.join('\n')}\n`;
}

function planJson(p: DistillPlan): unknown {
  return {
    recipe: p.recipe.name,
    file: p.file,
    ok: p.ok,
    checks: p.checks,
    args: p.args,
    schedule: p.schedule,
    memory: p.memory,
    compute: p.compute,
    gpu: p.gpu,
  };
}

const ONNX_DTYPES = ['fp32', 'fp16', 'int8'] as const;
type OnnxDtype = (typeof ONNX_DTYPES)[number];

const fmt = (x: number): string =>
  Math.abs(x) >= 1e-3 || x === 0 ? String(Number(x.toPrecision(6))) : x.toExponential(2);

function finalizeText(r: FinalizeResult): string {
  const lines = [`finalized ${r.found.checkpoint}${r.model ? ` (${r.model})` : ''}`];
  lines.push(`  safetensors  ${r.convert.outputs.safetensors} (${r.convert.tensors} tensors, verified)`);
  lines.push(`  onnx         ${r.onnx.outDir} (${r.onnx.dtype}: ${r.onnx.towers.map((t) => t.file).join(', ')})`);
  const v = r.validation;
  if (v) {
    lines.push(
      `  reference    ${v.reference} (open_clip ${v.python.openClipVersion}, torch ${v.python.torchVersion}, ${v.python.python})`,
    );
    lines.push(
      `  validation   ${v.verdict === 'pass' ? 'PASS' : 'FAIL'} (profile ${v.result.profile.name}): ${v.reports.json}`,
    );
    for (const t of v.result.towers)
      lines.push(`    ${t.tower.padEnd(6)} min cosine ${fmt(t.minCosine)}, max rel L2 ${fmt(t.maxRelL2)}`);
    for (const c of v.result.checks.filter((x) => !x.pass))
      lines.push(`    failed ${c.id}: ${fmt(c.value)} (limit ${fmt(c.limit)})`);
    for (const d of v.result.diagnosis) lines.push(`    diagnosis: ${d.message}`);
  }
  if (r.push) {
    const p = r.push;
    lines.push(
      p.commit
        ? `  published    ${p.repo}@${p.revision} commit ${p.commit} (${p.files.filter((f) => f.action === 'upload').length} files uploaded)`
        : `  published    ${p.repo}@${p.revision} already up to date; no commit made`,
    );
  } else if (!v || v.verdict === 'pass')
    lines.push(
      `  publish: cliphub distill finalize ... --push ORG/NAME, or cliphub push ${r.outDir} --repo ORG/NAME --with-onnx ${r.onnx.outDir}`,
    );
  return `${lines.join('\n')}\n`;
}

/** The result without the per-sample metrics (they are in validation/report.json). */
function finalizeJson(r: FinalizeResult): unknown {
  const v = r.validation;
  return {
    checkpoint: r.found.checkpoint,
    epoch: r.found.epoch,
    model: r.model,
    teacher: r.teacher,
    outDir: r.outDir,
    convert: r.convert,
    onnx: r.onnx,
    validation: v && {
      verdict: v.verdict,
      profile: v.result.profile.name,
      reference: v.reference,
      reports: v.reports,
      python: v.python,
      towers: v.result.towers.map(({ samples: _samples, ...t }) => t),
      similarity: v.result.similarity,
      checks: v.result.checks,
      diagnosis: v.result.diagnosis,
    },
    push: r.push,
    notes: r.notes,
  };
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
    const { values, positionals } = parseCommandArgs(rest, {
      launcher: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean', default: false },
    });
    if (!values.out) throw new UsageError('distill emit needs --out DIR');
    if (values.launcher !== undefined && values.launcher !== 'torchrun' && values.launcher !== 'slurm') {
      throw new UsageError(`--launcher must be torchrun or slurm, not '${values.launcher}'`);
    }
    const loaded = findRecipe(recipeArg(one(positionals, 'emit')));
    const plan = await planRecipe(loaded, { outDir: abs(values.out) });
    const launcher: Launcher = (values.launcher as Launcher | undefined) ?? plan.recipe.launcher.kind;
    for (const c of plan.checks.filter((x) => x.level === 'warning' || x.level === 'notice'))
      io.stderr.write(`cliphub: ${c.level}: ${c.message}\n`);
    const out = emitLaunch(plan, { launcher, force: values.force });
    io.stdout.write(
      `wrote ${launcher} launch for ${plan.recipe.name} to ${out.outDir}\n  run: ${launcher === 'slurm' ? 'sbatch' : 'bash'} ${path.join(out.outDir, 'launch.sh')}\n`,
    );
    return 0;
  }
  if (sub === 'finalize') {
    const { values, positionals } = parseCommandArgs(rest, {
      out: { type: 'string' },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      python: { type: 'string' },
      'no-validate': { type: 'boolean', default: false },
      'onnx-dtype': { type: 'string' },
      towers: { type: 'string' },
      profile: { type: 'string' },
      samples: { type: 'string' },
      push: { type: 'string' },
      'hub-url': { type: 'string' },
      private: { type: 'boolean', default: false },
    });
    const runDir = abs(one(positionals, 'finalize'));
    if (values['no-validate'] && values.python)
      throw new UsageError('--python makes the validation reference; it cannot go with --no-validate');
    if (values['no-validate'] && values.profile)
      throw new UsageError('--profile applies to validation; it cannot go with --no-validate');
    const dtype = values['onnx-dtype'];
    if (dtype !== undefined && !ONNX_DTYPES.includes(dtype as OnnxDtype))
      throw new UsageError(`--onnx-dtype must be one of ${ONNX_DTYPES.join(', ')}, not '${dtype}'`);
    const towers = values.towers?.split(',').map((t) => t.trim());
    for (const t of towers ?? [])
      if (t !== 'vision' && t !== 'text')
        throw new UsageError(`--towers takes vision, text or vision,text, not '${values.towers}'`);
    const samples = values.samples === undefined ? undefined : Number(values.samples);
    if (samples !== undefined && !(Number.isInteger(samples) && samples >= 1))
      throw new UsageError(`--samples must be a positive integer, not '${values.samples}'`);
    if (values['hub-url'] && !values.push) throw new UsageError('--hub-url goes with --push ORG/NAME');
    // a relative --python is a path from the caller's folder; a bare name is looked up on PATH
    const python = values.python && /[/\\]/.test(values.python) ? abs(values.python) : values.python;
    const result = await finalizeRun(runDir, {
      ...(values.out ? { outDir: abs(values.out) } : {}),
      force: values.force,
      validate: !values['no-validate'],
      ...(python ? { python } : {}),
      ...(dtype ? { onnxDtype: dtype as OnnxDtype } : {}),
      ...(towers ? { towers: towers as Array<'vision' | 'text'> } : {}),
      ...(values.profile ? { profile: values.profile } : {}),
      ...(samples ? { samples } : {}),
      ...(values.push
        ? {
            push: {
              repo: values.push,
              ...(values['hub-url'] ? { hubUrl: values['hub-url'] } : {}),
              private: values.private,
            },
          }
        : {}),
      // the caller's environment (PATH for python3, PYTHON, HF_TOKEN) over this process's
      env: { ...process.env, ...io.env },
    });
    if (values.json) writeJson(io, finalizeJson(result));
    else io.stdout.write(finalizeText(result));
    for (const n of result.notes) io.stderr.write(`cliphub: ${n}\n`);
    return result.validation?.verdict === 'fail' ? 1 : 0;
  }
  throw new UsageError(
    sub
      ? `unknown distill subcommand '${sub}'; use list, plan, emit or finalize`
      : 'distill needs a subcommand: list, plan, emit or finalize (see --help)',
  );
}

const command: Command = {
  name: 'distill',
  summary: 'plan, emit and finalize open_clip_train distillation runs',
  usage,
  run,
};
export default command;
