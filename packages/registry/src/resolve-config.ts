import { activationOf } from './activation.js';
import { parseOpenClipConfig } from './config-file.js';
import { preprocessCfgFor, type PreprocessOverlay } from './preprocess.js';
import { runtimePiecesOf } from './runtime.js';
import { tokenizerOf } from './tokenizer.js';
import { familyOf, textTowerOf, visionTowerOf } from './towers.js';
import type { ModelCfg, ResolvedModel } from './types.js';

export interface ResolveConfigOptions {
  /** The spec to report (defaults to `source`). */
  spec?: string;
  /** For local-dir: HF tokenizer files are read from this folder, as open_clip does. */
  localDir?: string;
}

/**
 * Resolves an open_clip_config.json ({model_cfg, preprocess_cfg}) found next to a checkpoint. open_clip
 * builds such a config as-is (no tag, so quick_gelu is whatever model_cfg says) and merges its
 * preprocess_cfg over the PreprocessCfg defaults.
 */
export function resolveFromOpenClipConfig(
  config: unknown,
  source: string,
  options: ResolveConfigOptions = {},
): ResolvedModel {
  const parsed = parseOpenClipConfig(config, source);
  const modelCfg = parsed.model_cfg as ModelCfg;
  const tokenizer = tokenizerOf(modelCfg, { localDir: options.localDir ?? null });
  const activation = activationOf(modelCfg);
  const notes: string[] = [];
  if (activation.vision === 'unknown' || activation.text === 'unknown') {
    notes.push(
      'a timm or Hugging Face tower here is not in registry/towers.json, so its activation is unknown; add it with tools/registry/tower_activations.py',
    );
  }
  return {
    spec: options.spec ?? source,
    arch: null,
    tag: null,
    modelCfg,
    preprocessCfg: preprocessCfgFor(modelCfg, (parsed.preprocess_cfg ?? {}) as PreprocessOverlay),
    weights: null,
    weightsAlternatives: [],
    tokenizer,
    activation,
    quickGelu: modelCfg.quick_gelu === true,
    family: familyOf(modelCfg),
    visionTower: visionTowerOf(modelCfg),
    textTower: textTowerOf(modelCfg),
    runtime: runtimePiecesOf(modelCfg, tokenizer),
    provenance: {
      modelCfg: `${source} (model_cfg)`,
      preprocessCfg: `${source} (preprocess_cfg) over open_clip's PreprocessCfg defaults; size from vision_cfg.image_size`,
      quickGelu:
        modelCfg.quick_gelu === true ? `${source} (model_cfg.quick_gelu)` : `${source} sets no quick_gelu: GELU`,
      tokenizer: `${source} (text_cfg)`,
    },
    notes,
  };
}
