import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { convertToSafetensors, type ConvertReport } from '@cliphub/convert';
import { findLatestCheckpoint, type FoundCheckpoint } from './find-checkpoint.js';

export interface FinalizeOptions {
  /** Where the converted model goes. Default: RUN_DIR/final. */
  outDir?: string;
  /** Overwrite an existing output. */
  force?: boolean;
}

export interface FinalizeResult {
  found: FoundCheckpoint;
  /** The student's --model from the run's params.txt (what the checkpoint holds). */
  model: string | null;
  convert: ConvertReport;
}

/** Reads `key: value` lines from open_clip_train's params.txt. */
export function readRunParams(runDir: string): Record<string, string> {
  const file = path.join(runDir, 'params.txt');
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const i = line.indexOf(': ');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 2);
  }
  return out;
}

/**
 * Takes a run's newest checkpoint and converts it to open_clip's Hub layout (safetensors + config)
 * with @cliphub/convert, naming the architecture from the run's own params.txt and verifying every
 * tensor after writing.
 */
export async function finalizeRun(runDir: string, options: FinalizeOptions = {}): Promise<FinalizeResult> {
  const found = findLatestCheckpoint(runDir);
  const params = readRunParams(found.runDir);
  const model = params.model && params.model !== 'None' ? params.model : null;
  const convert = await convertToSafetensors({
    input: found.checkpoint,
    outDir: options.outDir ?? path.join(found.runDir, 'final'),
    ...(model ? { model } : {}),
    ...(params.force_quick_gelu === 'True' ? { activation: 'quickgelu' as const } : {}),
    force: options.force ?? false,
    verify: true,
  });
  return { found, model, convert };
}
