import type { DistillPlan } from './plan-recipe.js';

export type Launcher = 'torchrun' | 'slurm';

/** Single-quotes a string for bash. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
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
  const lines = [
    `# cliphub distill: ${r.name}: ${r.teacher.model}${r.teacher.pretrained ? ` (${r.teacher.pretrained})` : ''} -> ${r.student.model}`,
    `# ${plan.schedule.gpus} GPU(s), global batch ${plan.schedule.globalBatch}, ${plan.schedule.epochs} epoch(s), ${plan.schedule.totalSteps} steps.`,
    `# Logs and checkpoints: ${r.logging.dir}/${r.logging.name}/ (out.log, checkpoints/epoch_N.pt${r.resume === 'latest' ? ', epoch_latest.pt' : ''}).`,
    r.resume === 'latest'
      ? '# Relaunching this script resumes from the newest checkpoint (--resume latest); CLIPHUB_RESUME_FROM=PATH picks another.'
      : '# CLIPHUB_RESUME_FROM=PATH resumes from a checkpoint.',
    'set -euo pipefail',
    `OUT_DIR=${shellQuote(outDir)}`,
  ];
  for (const [k, v] of Object.entries(r.launcher.env)) lines.push(`export ${k}=${shellQuote(v)}`);
  // Quiet tokenizer fork warnings; one OpenMP thread per rank unless the caller chose otherwise.
  lines.push('export TOKENIZERS_PARALLELISM=false', 'export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"');
  lines.push(`mkdir -p ${shellQuote(r.logging.dir)}`);
  return lines;
}

/**
 * The launch.sh body. torchrun: single node with --standalone, several nodes with a c10d rendezvous
 * at $MASTER_ADDR (run the script once per node). slurm: an sbatch script with one srun task per GPU;
 * open_clip_train reads SLURM_PROCID/SLURM_NTASKS and connects through MASTER_ADDR/MASTER_PORT.
 */
export function renderLaunchScript(plan: DistillPlan, launcher: Launcher, outDir: string): string {
  const r = plan.recipe;
  const h = r.hardware;
  const entry = '"$OUT_DIR/open_clip_train_launch.py"';
  const py = `"\${PYTHON:-${r.launcher.python}}"`;
  if (launcher === 'torchrun') {
    const lines = ['#!/usr/bin/env bash', ...header(plan, outDir), 'TORCHRUN="${TORCHRUN:-torchrun}"'];
    if (h.nodes === 1) {
      lines.push(`exec "$TORCHRUN" --standalone --nnodes 1 --nproc-per-node ${h.gpusPerNode} ${entry}`);
    } else {
      lines.push(
        `: "\${MASTER_ADDR:?set MASTER_ADDR to the address of the first node, then run this script on each of the ${h.nodes} nodes}"`,
        `MASTER_PORT="\${MASTER_PORT:-${r.launcher.rdzvPort}}"`,
        `RUN_ID="\${RUN_ID:-${r.logging.name}}"`,
        `exec "$TORCHRUN" --nnodes ${h.nodes} --nproc-per-node ${h.gpusPerNode} --rdzv-backend c10d --rdzv-endpoint "$MASTER_ADDR:$MASTER_PORT" --rdzv-id "$RUN_ID" ${entry}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }
  const s = r.launcher.slurm;
  const cpus = s?.cpusPerTask ?? Math.max(1, r.schedule.workers + 1);
  const sb = [
    `#SBATCH --job-name=${r.logging.name}`,
    `#SBATCH --nodes=${h.nodes}`,
    `#SBATCH --ntasks-per-node=${h.gpusPerNode}`,
    `#SBATCH --gpus-per-node=${h.gpusPerNode}`,
    `#SBATCH --cpus-per-task=${cpus}`,
    `#SBATCH --time=${s?.time ?? '72:00:00'}`,
    `#SBATCH --output=${r.logging.name}-%j.out`,
  ];
  if (s?.partition) sb.push(`#SBATCH --partition=${s.partition}`);
  if (s?.account) sb.push(`#SBATCH --account=${s.account}`);
  if (s?.qos) sb.push(`#SBATCH --qos=${s.qos}`);
  if (s?.requeue ?? true) sb.push('#SBATCH --requeue');
  const lines = [
    '#!/usr/bin/env bash',
    ...sb,
    ...header(plan, outDir),
    // open_clip_train's env:// init needs the first node's address and a port shared by all tasks.
    'MASTER_ADDR="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"',
    'export MASTER_ADDR',
    `export MASTER_PORT="\${MASTER_PORT:-${r.launcher.rdzvPort}}"`,
    `srun --cpu-bind=v --accel-bind=gn ${py} -u ${entry}`,
  ];
  return `${lines.join('\n')}\n`;
}
