import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { DistillError } from './errors.js';

export interface FoundCheckpoint {
  /** The run folder (logs/NAME). */
  runDir: string;
  checkpoint: string;
  /** The epoch in the file name, or null for epoch_latest.pt. */
  epoch: number | null;
}

/**
 * The newest checkpoint of an open_clip_train run: RUN_DIR is logs/NAME or its checkpoints/ folder.
 * The highest epoch_N.pt wins, unless epoch_latest.pt (written by --save-most-recent) is newer.
 */
export function findLatestCheckpoint(runDir: string): FoundCheckpoint {
  const abs = path.resolve(runDir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new DistillError(
      'BAD_RUN_DIR',
      `run folder ${abs} does not exist; give the open_clip_train run folder (LOGS/NAME)`,
    );
  }
  const ckptDir = existsSync(path.join(abs, 'checkpoints')) ? path.join(abs, 'checkpoints') : abs;
  const base = ckptDir === abs && path.basename(abs) === 'checkpoints' ? path.dirname(abs) : abs;
  let best: { file: string; epoch: number } | null = null;
  for (const f of readdirSync(ckptDir)) {
    const m = /^epoch_(\d+)\.pt$/.exec(f);
    if (m && (!best || Number(m[1]) > best.epoch)) best = { file: path.join(ckptDir, f), epoch: Number(m[1]) };
  }
  const latest = path.join(ckptDir, 'epoch_latest.pt');
  if (existsSync(latest) && (!best || statSync(latest).mtimeMs > statSync(best.file).mtimeMs)) {
    return { runDir: base, checkpoint: latest, epoch: null };
  }
  if (!best)
    throw new DistillError(
      'NO_CHECKPOINT',
      `no epoch_N.pt or epoch_latest.pt in ${ckptDir}; has the run finished an epoch?`,
    );
  return { runDir: base, checkpoint: best.file, epoch: best.epoch };
}
