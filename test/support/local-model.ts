import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Makes DIR a local model folder: DIR/open_clip_config.json holding `modelCfg`, as push_to_hf_hub writes it. */
export function writeOpenClipConfig(dir: string, modelCfg: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'open_clip_config.json'), JSON.stringify({ model_cfg: modelCfg }));
  return dir;
}
