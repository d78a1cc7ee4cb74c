import { loadRegistryData } from './data.js';
import { textTowerOf, visionTowerOf } from './towers.js';
import type { Activation, ModelCfg, TowerActivations } from './types.js';

/** open_clip's rule for its own towers: QuickGELU if quick_gelu, else nn.GELU, then act_kwargs applied. */
function nativeActivation(quickGelu: boolean, actKwargs: unknown): Activation {
  if (quickGelu) return 'quick_gelu';
  const approximate =
    actKwargs && typeof actKwargs === 'object' ? (actKwargs as { approximate?: unknown }).approximate : undefined;
  return approximate === 'tanh' ? 'gelu_tanh' : 'gelu';
}

/**
 * The activation each tower runs, as open_clip 3.3.0 builds the config:
 * - ModifiedResNet vision: ReLU (its bottlenecks hard-code nn.ReLU; quick_gelu does not reach them);
 * - native ViT / text transformer / CoCa decoder: QuickGELU when quick_gelu, else GELU
 *   (GELU-tanh with act_kwargs {approximate: 'tanh'});
 * - timm vision and Hugging Face text towers ignore quick_gelu: their activation was read off the
 *   built tower or the Hub config by tools/registry/tower_activations.py (registry/towers.json).
 * quick_gelu is read from the config, so pass the resolved config (resolve() sets it when a tag forces it).
 */
export function activationOf(modelCfg: ModelCfg): TowerActivations {
  const quick = modelCfg.quick_gelu === true;
  const towers = loadRegistryData().towers;
  const v = modelCfg.vision_cfg;
  const t = modelCfg.text_cfg;
  let vision: Activation;
  switch (visionTowerOf(modelCfg)) {
    case 'native-vit':
      vision = nativeActivation(quick, v.act_kwargs);
      break;
    case 'modified-resnet':
      vision = 'relu';
      break;
    default:
      vision = towers.timm[String(v.timm_model_name)]?.activation ?? 'unknown';
  }
  const text: Activation =
    textTowerOf(modelCfg) === 'hf-text'
      ? (towers.hf[String(t.hf_model_name)]?.activation ?? 'unknown')
      : nativeActivation(quick, t.act_kwargs);
  const out: TowerActivations = { vision, text };
  // CoCa's decoder takes quick_gelu but not act_kwargs (coca_model._build_text_decoder_tower).
  if (modelCfg.multimodal_cfg) out.multimodal = quick ? 'quick_gelu' : 'gelu';
  return out;
}
