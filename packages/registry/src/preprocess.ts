import { visionTowerOf } from './towers.js';
import type { ModelCfg, PreprocessCfg, PretrainedEntry } from './types.js';

/** open_clip's OPENAI_DATASET_MEAN / _STD, the PreprocessCfg defaults. */
export const OPENAI_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const OPENAI_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

/** Preprocess values a pretrained tag or an open_clip_config.json may set (null/absent = keep). */
export interface PreprocessOverlay {
  size?: number | [number, number] | null;
  mode?: 'RGB' | null;
  mean?: [number, number, number] | null;
  std?: [number, number, number] | null;
  interpolation?: PreprocessCfg['interpolation'] | null;
  resize_mode?: PreprocessCfg['resize_mode'] | null;
  fill_color?: number | null;
}

const KEYS = ['size', 'mode', 'mean', 'std', 'interpolation', 'resize_mode', 'fill_color'] as const;

/**
 * The preprocess config open_clip's create_model attaches to the model:
 * PreprocessCfg() defaults (OpenAI mean/std, bicubic, shortest, 224), then the tag's or config file's
 * values merged over them (merge_preprocess_dict skips None), then `size` replaced by the visual
 * tower's image_size: a 2-tuple for ViT and timm towers (to_2tuple), the raw value for ModifiedResNet.
 */
export function preprocessCfgFor(
  modelCfg: ModelCfg,
  pretrained: PreprocessOverlay | Pick<PretrainedEntry, 'mean' | 'std' | 'interpolation' | 'resizeMode'> = {},
): PreprocessCfg {
  // A listing entry spells it resizeMode; open_clip files spell it resize_mode.
  const overlay: PreprocessOverlay =
    'resizeMode' in pretrained
      ? {
          mean: pretrained.mean,
          std: pretrained.std,
          interpolation: pretrained.interpolation,
          resize_mode: pretrained.resizeMode,
        }
      : pretrained;
  const cfg: PreprocessCfg = {
    size: 224,
    mode: 'RGB',
    mean: [...OPENAI_MEAN],
    std: [...OPENAI_STD],
    interpolation: 'bicubic',
    resize_mode: 'shortest',
    fill_color: 0,
  };
  const target = cfg as unknown as Record<string, unknown>;
  for (const k of KEYS) {
    const v = overlay[k];
    if (v !== undefined && v !== null) target[k] = Array.isArray(v) ? [...v] : v;
  }
  const imageSize = modelCfg.vision_cfg.image_size;
  const size: number | [number, number] =
    typeof imageSize === 'number' || (Array.isArray(imageSize) && imageSize.length === 2)
      ? (imageSize as number | [number, number])
      : 224; // CLIPVisionCfg's default
  if (visionTowerOf(modelCfg) === 'modified-resnet') cfg.size = Array.isArray(size) ? [size[0], size[1]] : size;
  else cfg.size = Array.isArray(size) ? [size[0], size[1]] : [size, size];
  return cfg;
}
