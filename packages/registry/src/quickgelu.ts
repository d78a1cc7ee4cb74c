import { activationOf } from './activation.js';
import type { ModelCfg } from './types.js';

export interface QuickGeluDecision {
  /** What the model must use to match its weights. */
  quickGelu: boolean;
  /** Where the decision came from. */
  source: string;
  /** Inconsistencies between the config and the tag, and what open_clip itself does about them. */
  notes: string[];
}

/**
 * Decides QuickGELU for an (architecture, tag) pair.
 *
 * open_clip 3.3.0 builds what the architecture config says (model_cfg.quick_gelu) and, when the tag
 * disagrees, only warns ("QuickGELU mismatch"); nothing forces it except force_quick_gelu=True or the
 * `-quickgelu` architecture aliases. cliphub instead takes the union:
 * - a tag with quick_gelu forces QuickGELU: those weights were trained with it, and GELU silently
 *   costs accuracy (open_clip issue #771);
 * - a config with quick_gelu keeps it even when its tag is silent: that is what open_clip builds, and
 *   a tag without the key makes no claim (roberta-ViT-B-32 / laion2b_s12b_b32k is the one such pair).
 */
export function quickGeluDecision(
  arch: string,
  modelCfg: ModelCfg,
  tag: string | null,
  tagQuickGelu: boolean | undefined,
  archNames: ReadonlySet<string>,
): QuickGeluDecision {
  const cfgQuick = modelCfg.quick_gelu === true;
  const notes: string[] = [];
  const towers = activationOf({ ...modelCfg, quick_gelu: true });
  const matters = towers.vision === 'quick_gelu' || towers.text === 'quick_gelu' || towers.multimodal === 'quick_gelu';
  if (tag === null)
    return {
      quickGelu: cfgQuick,
      source: cfgQuick ? `architecture config ${arch}` : 'open_clip default (GELU)',
      notes,
    };
  const tagQuick = tagQuickGelu === true;
  if (tagQuick && !cfgQuick) {
    const alias = `${arch}-quickgelu`;
    const fix = archNames.has(alias) ? `use '${alias}'` : 'pass force_quick_gelu=True';
    notes.push(
      `tag ${tag} was trained with QuickGELU but config ${arch} lacks quick_gelu: cliphub uses QuickGELU; open_clip 3.3.0 create_model('${arch}', '${tag}') builds GELU and only warns (${fix} there to match)`,
    );
    return { quickGelu: true, source: `pretrained tag ${arch}:${tag} (quick_gelu: true)`, notes };
  }
  if (cfgQuick && !tagQuick) {
    notes.push(
      `config ${arch} sets quick_gelu but tag ${tag} does not: the config wins, because open_clip 3.3.0 builds QuickGELU from the config (it only warns) and a tag without the key makes no claim${matters ? '' : '; it changes nothing here, no tower of this model uses it'}`,
    );
    return { quickGelu: true, source: `architecture config ${arch} (quick_gelu: true)`, notes };
  }
  if (cfgQuick && !matters)
    notes.push(`quick_gelu is set but has no effect: timm and Hugging Face towers pick their own activation`);
  return {
    quickGelu: cfgQuick,
    source: cfgQuick
      ? `architecture config ${arch} and tag ${tag} agree (quick_gelu: true)`
      : 'open_clip default (GELU); neither config nor tag sets quick_gelu',
    notes,
  };
}
