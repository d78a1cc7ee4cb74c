import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { localModelDir } from './build-train-args.js';
import { DistillError } from './errors.js';
import { ENTRY_PY, renderLaunchScript, type Launcher } from './launch-script.js';
import type { DistillPlan } from './plan-recipe.js';

export interface EmitOptions {
  launcher: Launcher;
  /** Emit even when checks failed (the plan's errors are written to plan.json). */
  force?: boolean;
}

export interface EmitResult {
  outDir: string;
  files: string[];
}

/**
 * Writes OUT/launch.sh, OUT/open_clip_train_args.json (the exact argument list), the Python entry,
 * OUT/plan.json (checks and estimates) and, for custom configs, OUT/models/<role>/ folders that
 * open_clip's local-dir: loader reads. Refuses when a check failed unless `force`.
 */
export function emitLaunch(plan: DistillPlan, options: EmitOptions): EmitResult {
  const errors = plan.checks.filter((c) => c.level === 'error');
  if (errors.length && !options.force) {
    throw new DistillError(
      'CHECKS_FAILED',
      `${errors.length} check(s) failed for ${plan.recipe.name}: ${errors[0]!.message}${errors.length > 1 ? ` (and ${errors.length - 1} more; run 'cliphub distill plan')` : ''}`,
      1,
    );
  }
  const outDir = plan.outDir;
  if (!options.force && existsSync(path.join(outDir, 'launch.sh'))) {
    throw new DistillError(
      'OUT_EXISTS',
      `${outDir} already holds a launch.sh; pick another --out or pass --force to overwrite`,
    );
  }
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, text: string, mode?: number): void => {
    const file = path.join(outDir, name);
    writeFileSync(file, text);
    if (mode) chmodSync(file, mode);
    files.push(file);
  };
  for (const facts of [plan.teacher, plan.student]) {
    if (!facts.localDir) continue;
    const dir = localModelDir(outDir, facts);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'open_clip_config.json'), `${JSON.stringify(facts.localDir.config, null, 2)}\n`);
    files.push(path.join(dir, 'open_clip_config.json'));
    if (facts.localDir.weights) {
      // open_clip's local-dir: loader finds weights by name in the folder; a link avoids copying them.
      const ext =
        path.extname(facts.localDir.weights) === '.safetensors'
          ? 'open_clip_model.safetensors'
          : 'open_clip_pytorch_model.bin';
      const link = path.join(dir, ext);
      if (!existsSync(link)) symlinkSync(facts.localDir.weights, link);
      files.push(link);
    }
  }
  write('open_clip_train_args.json', `${JSON.stringify(plan.args, null, 2)}\n`);
  write('open_clip_train_launch.py', ENTRY_PY);
  write('launch.sh', renderLaunchScript(plan, options.launcher, outDir), 0o755);
  const summary = {
    recipe: plan.recipe.name,
    file: plan.file,
    launcher: options.launcher,
    ok: plan.ok,
    checks: plan.checks,
    schedule: plan.schedule,
    memory: plan.memory,
    compute: plan.compute,
  };
  write('plan.json', `${JSON.stringify(summary, null, 2)}\n`);
  return { outDir, files };
}
