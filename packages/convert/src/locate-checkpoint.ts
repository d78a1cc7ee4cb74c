import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConvertError } from './errors.js';

export interface LocatedCheckpoint {
  checkpoint: string;
  /** open_clip_config.json beside the checkpoint, when there is one. */
  config: string | null;
}

// The names open_clip and its tooling write, best first; then anything that looks like weights.
const PREFERRED = [
  'open_clip_model.safetensors',
  'open_clip_pytorch_model.bin',
  'model.safetensors',
  'pytorch_model.bin',
  'epoch_latest.pt',
];

/** Finds the checkpoint (and its open_clip_config.json) for a file or directory argument. */
export function locateCheckpoint(input: string): LocatedCheckpoint {
  if (!existsSync(input)) {
    throw new ConvertError(
      'NOT_FOUND',
      `input '${input}' does not exist: pass a checkpoint file, a directory holding one, or a model spec`,
    );
  }
  if (statSync(input).isFile()) {
    const config = path.join(path.dirname(input), 'open_clip_config.json');
    return { checkpoint: input, config: existsSync(config) ? config : null };
  }
  const files = readdirSync(input).filter((f) => statSync(path.join(input, f)).isFile());
  const config = files.includes('open_clip_config.json') ? path.join(input, 'open_clip_config.json') : null;
  const pick =
    PREFERRED.find((f) => files.includes(f)) ??
    newestEpoch(files) ??
    files.filter((f) => /\.(safetensors|bin|pt|pth|ckpt)$/.test(f)).sort()[0];
  if (!pick) {
    throw new ConvertError(
      'NO_CHECKPOINT',
      `no checkpoint in '${input}': expected one of ${PREFERRED.join(', ')}, epoch_N.pt, or a *.safetensors/*.bin/*.pt file`,
    );
  }
  return { checkpoint: path.join(input, pick), config };
}

function newestEpoch(files: string[]): string | undefined {
  const epochs = files
    .map((f) => ({ f, m: /^epoch_(\d+)\.pt$/.exec(f) }))
    .filter((e): e is { f: string; m: RegExpExecArray } => e.m !== null)
    .sort((a, b) => Number(b.m[1]) - Number(a.m[1]));
  return epochs[0]?.f;
}
