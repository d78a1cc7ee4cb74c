import { DistillError } from './errors.js';
import type { DistillPlan } from './plan-recipe.js';

export type Launcher = 'torchrun' | 'slurm';

// Line breaks, other control characters, and the bidi overrides that make a line read differently than it runs.
const UNSAFE_IN_COMMENT = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
const UNSAFE_ONE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const utf8 = new TextEncoder();

/**
 * One bash word that stands for exactly `s`, nothing expanded: a plain word as it is; else single quotes; and when `s`
 * holds a line break or other control character, ANSI-C quoting ($'…') with those written as \xHH bytes, so every
 * value stays on its own script line.
 */
export function shellQuote(s: string): string {
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  if (!UNSAFE_ONE.test(s)) return `'${s.replace(/'/g, `'\\''`)}'`;
  let out = '';
  for (const ch of s) {
    if (ch === '\\' || ch === "'") out += `\\${ch}`;
    else if (UNSAFE_ONE.test(ch)) for (const b of utf8.encode(ch)) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `$'${out}'`;
}

/** Recipe text for a `#` comment line: anything that could end the line or disguise it is written as an escape. */
export function commentText(s: string): string {
  return s.replace(UNSAFE_IN_COMMENT, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/**
 * A value for an `#SBATCH` line: one shell-quoted word (sbatch unquotes it as bash would). A directive ends at the
 * line break, so a value holding one (or any control character) is refused rather than quoted.
 */
function directive(value: string, what: string): string {
  if (UNSAFE_ONE.test(value))
    throw new DistillError('BAD_RECIPE', `${what} ${JSON.stringify(value)} holds a line break or control character`);
  return shellQuote(value);
}

/** A count or port written bare into the script: it must be a plain integer, whatever reached the plan. */
function int(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new DistillError('BAD_RECIPE', `${what} ${JSON.stringify(n)} is not a whole number; fix the recipe`);
  return n;
}

/** The Python entry torchrun and srun start: it runs open_clip_train.main on the argument list in the JSON beside it. */
export const ENTRY_PY = `# Written by 'cliphub distill emit'. Runs open_clip_train.main with the argument list in
# open_clip_train_args.json. The arguments travel in a file because torchrun parses the whole command
# line and rejects some open_clip_train flags as ambiguous (--logs vs --logs-specs since torch 2.2).
import json
import os
import sys

from open_clip_train.main import main

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "open_clip_train_args.json"), encoding="utf-8") as f:
    args = json.load(f)
resume = os.environ.get("CLIPHUB_RESUME_FROM")
if resume:
    args += ["--resume", resume]  # argparse keeps the last value
status = main(args)
sys.exit(status if isinstance(status, int) and status > 0 else (1 if status else 0))
`;

function header(plan: DistillPlan, outDir: string): string[] {
  const r = plan.recipe;
  const teacher = `${r.teacher.model}${r.teacher.pretrained ? ` (${r.teacher.pretrained})` : ''}`;
  const lines = [
    commentText(`# cliphub distill: ${r.name}: ${teacher} -> ${r.student.model}`),
    `# ${plan.schedule.gpus} GPU(s), global batch ${plan.schedule.globalBatch}, ${plan.schedule.epochs} epoch(s), ${plan.schedule.totalSteps} steps.`,
    commentText(
      `# Logs and checkpoints: ${r.logging.dir}/${r.logging.name}/ (out.log, checkpoints/epoch_N.pt${r.resume === 'latest' ? ', epoch_latest.pt' : ''}).`,
    ),
    r.resume === 'latest'
      ? '# Relaunching this script resumes from the newest checkpoint (--resume latest); CLIPHUB_RESUME_FROM=PATH picks another.'
      : '# CLIPHUB_RESUME_FROM=PATH resumes from a checkpoint.',
    'set -euo pipefail',
    `OUT_DIR=${shellQuote(outDir)}`,
  ];
  for (const [k, v] of Object.entries(r.launcher.env ?? {})) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(k))
      throw new DistillError(
        'BAD_RECIPE',
        `launcher.env name ${JSON.stringify(k)} is not an environment variable name`,
      );
    lines.push(`export ${k}=${shellQuote(v)}`);
  }
  // Quiet tokenizer fork warnings; one OpenMP thread per rank unless the caller chose otherwise.
  lines.push('export TOKENIZERS_PARALLELISM=false', 'export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"');
  lines.push(`mkdir -p ${shellQuote(r.logging.dir)}`);
  return lines;
}

/**
 * The launch.sh body. torchrun: single node with --standalone, several nodes with a c10d rendezvous
 * at $MASTER_ADDR (run the script once per node). slurm: an sbatch script with one srun task per GPU;
 * open_clip_train reads SLURM_PROCID/SLURM_NTASKS and connects through MASTER_ADDR/MASTER_PORT.
 *
 * Every recipe value is shell-quoted. Defaults the caller may override from the environment (${PYTHON:-…},
 * ${RUN_ID:-…}) are first assigned from a quoted word, then expanded inside double quotes, which expand a variable
 * once and never re-read its text as shell.
 */
export function renderLaunchScript(plan: DistillPlan, launcher: Launcher, outDir: string): string {
  const r = plan.recipe;
  const h = r.hardware;
  const nodes = int(h.nodes, 'hardware.nodes');
  const gpus = int(h.gpusPerNode, 'hardware.gpusPerNode');
  const port = int(r.launcher.rdzvPort, 'launcher.rdzvPort');
  const entry = '"$OUT_DIR/open_clip_train_launch.py"';
  if (launcher === 'torchrun') {
    const lines = ['#!/usr/bin/env bash', ...header(plan, outDir), 'TORCHRUN="${TORCHRUN:-torchrun}"'];
    if (nodes === 1) {
      lines.push(`exec "$TORCHRUN" --standalone --nnodes 1 --nproc-per-node ${gpus} ${entry}`);
    } else {
      lines.push(
        `: "\${MASTER_ADDR:?set MASTER_ADDR to the address of the first node, then run this script on each of the ${nodes} nodes}"`,
        `MASTER_PORT="\${MASTER_PORT:-${port}}"`,
        `DEFAULT_RUN_ID=${shellQuote(r.logging.name)}`,
        'RUN_ID="${RUN_ID:-$DEFAULT_RUN_ID}"',
        `exec "$TORCHRUN" --nnodes ${nodes} --nproc-per-node ${gpus} --rdzv-backend c10d --rdzv-endpoint "$MASTER_ADDR:$MASTER_PORT" --rdzv-id "$RUN_ID" ${entry}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }
  const s = r.launcher.slurm;
  const cpus = int(s?.cpusPerTask ?? Math.max(1, r.schedule.workers + 1), 'launcher.slurm.cpusPerTask');
  // sbatch reads these lines itself; it takes quoted values as bash would, so each value is one quoted word.
  const sb = [
    `#SBATCH --job-name=${directive(r.logging.name, 'logging.name')}`,
    `#SBATCH --nodes=${nodes}`,
    `#SBATCH --ntasks-per-node=${gpus}`,
    `#SBATCH --gpus-per-node=${gpus}`,
    `#SBATCH --cpus-per-task=${cpus}`,
    `#SBATCH --time=${directive(s?.time ?? '72:00:00', 'launcher.slurm.time')}`,
    `#SBATCH --output=${directive(`${r.logging.name}-%j.out`, 'logging.name')}`,
  ];
  if (s?.partition) sb.push(`#SBATCH --partition=${directive(s.partition, 'launcher.slurm.partition')}`);
  if (s?.account) sb.push(`#SBATCH --account=${directive(s.account, 'launcher.slurm.account')}`);
  if (s?.qos) sb.push(`#SBATCH --qos=${directive(s.qos, 'launcher.slurm.qos')}`);
  if (s?.requeue ?? true) sb.push('#SBATCH --requeue');
  const lines = [
    '#!/usr/bin/env bash',
    ...sb,
    ...header(plan, outDir),
    // open_clip_train's env:// init needs the first node's address and a port shared by all tasks.
    'MASTER_ADDR="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"',
    'export MASTER_ADDR',
    `export MASTER_PORT="\${MASTER_PORT:-${port}}"`,
    `DEFAULT_PYTHON=${shellQuote(r.launcher.python ?? 'python')}`,
    `srun --cpu-bind=v --accel-bind=gn "\${PYTHON:-$DEFAULT_PYTHON}" -u ${entry}`,
  ];
  return `${lines.join('\n')}\n`;
}
