import { readSmallJsonFile } from '@cliphub/core';
import { preprocessCfgFor, resolve, type ModelCfg, type PreprocessCfg } from '@cliphub/registry';
import { ConvertError } from './errors.js';
import {
  inferModelCfg,
  inferTextCfg,
  inferVisionCfg,
  shapeMap,
  type ModuleAttributes,
  type ShapeInfo,
} from './infer-model-cfg.js';

export type ActivationFlag = 'quickgelu' | 'gelu';

/** The `preprocess_cfg` block exactly as open_clip's push_to_hf_hub writes it. */
export interface OpenClipPreprocessCfg {
  mean: number[];
  std: number[];
  interpolation: string;
  resize_mode: string;
}

export interface ConfigChoice {
  modelCfg: ModelCfg;
  preprocessCfg: OpenClipPreprocessCfg;
  /** Where the architecture came from. */
  source: 'registry' | 'config-file' | 'inferred';
  spec: string | null;
  activation: { value: ActivationFlag; source: string; guessed: boolean };
  /** Everything that was assumed rather than known; shown to the user. */
  guesses: string[];
}

export interface ChooseConfigInput {
  tensors: readonly ShapeInfo[];
  attributes: ModuleAttributes;
  isTorchScript: boolean;
  /** open_clip_config.json beside the checkpoint. */
  configPath: string | null;
  /** --model: a registry spec (ARCH, ARCH:TAG, hf-hub:..., local-dir:...). */
  model?: string;
  /** --activation */
  activation?: ActivationFlag;
  /** --force: let --activation contradict a known config. */
  force?: boolean;
}

/**
 * Picks the model config: an explicit --model wins, then an open_clip_config.json beside the
 * checkpoint, then inference from the weights. The activation cannot be read from weights, so it
 * comes from the same source, or --activation, and is flagged as a guess otherwise.
 */
export async function chooseConfig(input: ChooseConfigInput): Promise<ConfigChoice> {
  const guesses: string[] = [];
  let modelCfg: ModelCfg;
  let preprocessCfg: OpenClipPreprocessCfg;
  let source: ConfigChoice['source'];
  let activationSource: string;

  if (input.model) {
    const resolved = await resolve(input.model);
    modelCfg = structuredClone(resolved.modelCfg);
    if (resolved.quickGelu) modelCfg.quick_gelu = true;
    preprocessCfg = toOpenClipPreprocess(resolved.preprocessCfg);
    source = 'registry';
    activationSource = `registry: ${input.model}`;
  } else if (input.configPath) {
    const parsed = readConfigFile(input.configPath);
    modelCfg = parsed.model_cfg;
    preprocessCfg = parsed.preprocess_cfg
      ? { ...toOpenClipPreprocess(preprocessCfgFor(modelCfg)), ...parsed.preprocess_cfg }
      : toOpenClipPreprocess(preprocessCfgFor(modelCfg));
    source = 'config-file';
    activationSource = input.configPath;
  } else {
    const inferred = inferModelCfg(input.tensors, input.attributes);
    modelCfg = inferred.modelCfg as ModelCfg;
    guesses.push(...inferred.guesses);
    preprocessCfg = toOpenClipPreprocess(preprocessCfgFor(modelCfg));
    guesses.push(
      "preprocess_cfg = open_clip defaults (OpenAI mean/std, bicubic, shortest): pass --model ARCH:TAG for a tag's values",
    );
    source = 'inferred';
    activationSource = '';
  }

  if (source !== 'inferred')
    checkShapes(modelCfg, input.tensors, input.attributes, source === 'registry' ? input.model! : input.configPath!);

  const known: ActivationFlag | null =
    source !== 'inferred' ? (modelCfg.quick_gelu ? 'quickgelu' : 'gelu') : input.isTorchScript ? 'quickgelu' : null;
  let activation: ConfigChoice['activation'];
  if (input.activation && known && input.activation !== known) {
    if (!input.force) {
      throw new ConvertError(
        'ACTIVATION_CONFLICT',
        `--activation ${input.activation} contradicts ${activationSource || 'OpenAI TorchScript (always QuickGELU)'}, which says ${known}; a wrong activation silently degrades accuracy. Add --force if you are sure`,
      );
    }
    activation = { value: input.activation, source: '--activation (forced)', guessed: false };
  } else if (input.activation) {
    activation = { value: input.activation, source: '--activation', guessed: false };
  } else if (known) {
    activation = {
      value: known,
      source: source === 'inferred' ? 'OpenAI TorchScript archives are always QuickGELU' : activationSource,
      guessed: false,
    };
  } else {
    activation = { value: 'gelu', source: 'default', guessed: true };
    guesses.push(
      'activation = GELU is a GUESS: weights cannot tell QuickGELU from GELU; pass --activation quickgelu|gelu or --model ARCH:TAG',
    );
  }
  if (activation.value === 'quickgelu') modelCfg.quick_gelu = true;
  else delete modelCfg.quick_gelu;

  return { modelCfg, preprocessCfg, source, spec: input.model ?? null, activation, guesses };
}

function toOpenClipPreprocess(cfg: PreprocessCfg): OpenClipPreprocessCfg {
  return { mean: [...cfg.mean], std: [...cfg.std], interpolation: cfg.interpolation, resize_mode: cfg.resize_mode };
}

interface OpenClipConfigFile {
  model_cfg: ModelCfg;
  preprocess_cfg?: Partial<OpenClipPreprocessCfg>;
}

function readConfigFile(file: string): OpenClipConfigFile {
  const parsed = readSmallJsonFile(
    file,
    'config',
    (reason) =>
      new ConvertError('BAD_CONFIG', `${file} is not valid JSON (${reason}); fix or remove it, or pass --model ARCH`),
  );
  const obj = parsed as Partial<OpenClipConfigFile> | null;
  if (
    !obj ||
    typeof obj !== 'object' ||
    !obj.model_cfg ||
    typeof obj.model_cfg !== 'object' ||
    !obj.model_cfg.vision_cfg ||
    !obj.model_cfg.text_cfg
  ) {
    throw new ConvertError(
      'BAD_CONFIG',
      `${file} has no model_cfg with vision_cfg and text_cfg; it must be {"model_cfg": {...}, "preprocess_cfg": {...}} as open_clip writes it`,
    );
  }
  return obj as OpenClipConfigFile;
}

/**
 * Compares what the weights show with the chosen config, so a wrong --model (or a file that is no such
 * model at all) fails before anything is written. Never skipped: native towers (ViT, ModifiedResNet,
 * the text transformer) are inferred from their weights and compared field by field, and a tower the
 * weights cannot show (timm, Hugging Face) must at least be present under the names open_clip loads.
 */
function checkShapes(cfg: ModelCfg, tensors: readonly ShapeInfo[], attributes: ModuleAttributes, from: string): void {
  const shapes = shapeMap(tensors);
  const v = cfg.vision_cfg as Record<string, unknown>;
  const t = cfg.text_cfg as Record<string, unknown>;
  const guesses: string[] = [];
  const problems: string[] = [];
  const pairs: Array<[string, unknown, unknown]> = [];
  const hasPrefix = (prefix: string): boolean => tensors.some((x) => x.name.startsWith(prefix));
  // The inference errors say what is missing; keep that part, not their advice to pass --model.
  const detail = (e: unknown): string => {
    if (!(e instanceof ConvertError)) throw e;
    return e.message
      .replace(/^cannot infer the (architecture|vision tower|image size): /, '')
      .replace(/; (pass|timm and HF) .*$/, '');
  };

  if (v.timm_model_name) {
    if (!hasPrefix('visual.trunk.'))
      problems.push(`its timm vision tower (${String(v.timm_model_name)}) has no visual.trunk.* weights`);
  } else {
    try {
      const iv = inferVisionCfg(shapes, attributes, guesses);
      pairs.push(
        ['vision_cfg.width', v.width ?? 768, iv.width],
        ['vision_cfg.layers', v.layers ?? 12, iv.layers],
        ['vision_cfg.image_size', v.image_size ?? 224, iv.image_size],
      );
      if (iv.patch_size !== null) pairs.push(['vision_cfg.patch_size', v.patch_size ?? 16, iv.patch_size]);
    } catch (e) {
      problems.push(`it has no vision tower open_clip could load (${detail(e)})`);
    }
  }
  if (t.hf_model_name) {
    if (!hasPrefix('text.transformer.'))
      problems.push(`its Hugging Face text tower (${String(t.hf_model_name)}) has no text.transformer.* weights`);
  } else {
    try {
      const it = inferTextCfg(shapes, attributes, guesses);
      pairs.push(
        ['embed_dim', cfg.embed_dim, it.embedDim],
        ['text_cfg.width', t.width ?? 512, it.text.width],
        ['text_cfg.layers', t.layers ?? 12, it.text.layers],
        ['text_cfg.context_length', t.context_length ?? 77, it.text.context_length],
        ['text_cfg.vocab_size', t.vocab_size ?? 49408, it.text.vocab_size],
      );
    } catch (e) {
      problems.push(`it has no text tower open_clip could load (${detail(e)})`);
    }
  }
  for (const [k, want, got] of pairs) {
    if (JSON.stringify(want) !== JSON.stringify(got))
      problems.push(`${k} is ${JSON.stringify(want)} in the config but ${JSON.stringify(got)} in the weights`);
  }
  if (problems.length > 0) {
    throw new ConvertError(
      'CONFIG_MISMATCH',
      `the weights do not match ${from}: ${problems.join('; ')}. Pass the right --model`,
    );
  }
}
