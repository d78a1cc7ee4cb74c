import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { RegistryError } from './errors.js';
import { describeIssues, openClipConfigSchema, type OpenClipConfig } from './schema.js';
import { MAX_CONFIG_FILE_BYTES, readSmallTextFile } from '@cliphub/core';

export const OPEN_CLIP_CONFIG = 'open_clip_config.json';

/** Checks an open_clip_config.json value ({model_cfg, preprocess_cfg}) against the schema. */
export function parseOpenClipConfig(config: unknown, source: string): OpenClipConfig {
  const parsed = openClipConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new RegistryError(
      'BAD_CONFIG',
      `${source} is not a valid open_clip config (${describeIssues(parsed.error)}); it needs {model_cfg: {embed_dim, vision_cfg, text_cfg}, preprocess_cfg?} as open_clip's push_to_hf_hub writes it.`,
    );
  }
  return parsed.data;
}

/** Reads DIR/open_clip_config.json; a missing file names the subfolders that do have one. */
export function readOpenClipConfigDir(dir: string): OpenClipConfig {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new RegistryError(
      'NO_CONFIG',
      `local model folder ${dir} does not exist; pass a folder that holds ${OPEN_CLIP_CONFIG}.`,
    );
  }
  const file = path.join(dir, OPEN_CLIP_CONFIG);
  if (!existsSync(file)) {
    const nearby = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, OPEN_CLIP_CONFIG)))
      .map((d) => path.join(dir, d.name))
      .slice(0, 3);
    throw new RegistryError(
      'NO_CONFIG',
      `${dir} has no ${OPEN_CLIP_CONFIG}; point at the folder open_clip's push_to_hf_hub (or cliphub convert) wrote.`,
      nearby,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readSmallTextFile(file, MAX_CONFIG_FILE_BYTES, 'config'));
  } catch (e) {
    throw new RegistryError(
      'BAD_CONFIG',
      `${file} is not a valid JSON config (${(e as Error).message}); fix or regenerate it.`,
    );
  }
  return parseOpenClipConfig(raw, file);
}

// open_clip's _find_checkpoint_in_dir preference, first match wins.
const PREFERRED = [
  'open_clip_model.safetensors',
  'open_clip_pytorch_model.safetensors',
  'open_clip_pytorch_model.bin',
  'open_clip_pytorch_model.pth',
  'model.safetensors',
  'pytorch_model.bin',
  'pytorch_model.pth',
  'model.pth',
];

/** The checkpoint open_clip would load from a local-dir: a preferred name, else the first (safetensors first). */
export function findCheckpointInDir(dir: string): string | null {
  const files = readdirSync(dir).filter(
    (f) => /\.(safetensors|bin|pth)$/.test(f) && statSync(path.join(dir, f)).isFile(),
  );
  if (files.length === 0) return null;
  const preferred = PREFERRED.find((p) => files.includes(p));
  if (preferred) return path.join(dir, preferred);
  files.sort();
  const sorted = [
    ...files.filter((f) => f.endsWith('.safetensors')),
    ...files.filter((f) => !f.endsWith('.safetensors')),
  ];
  return path.join(dir, sorted[0]!);
}
