import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  listArchitectures,
  parseSpec,
  resolve,
  resolveFromOpenClipConfig,
  RegistryError,
  type ModelCfg,
  type ResolvedModel,
  type TokenizerInfo,
} from '@cliphub/registry';
import { DistillError } from './errors.js';
import type { ModelRef } from './recipe-schema.js';
import { configCosts, profileCosts, type TowerCosts } from './tower-costs.js';
import { MAX_CONFIG_FILE_BYTES, readSmallTextFile } from '@cliphub/core';

export type Role = 'teacher' | 'student';

/** A model as open_clip_train will build it, with what the checks need. */
export interface ModelFacts {
  role: Role;
  /** How the recipe named it, for messages. */
  label: string;
  arch: string | null;
  /** The value for --model / --distill-model. */
  trainModel: string;
  /** The value for --pretrained / --distill-pretrained, or null (random init). */
  trainPretrained: string | null;
  /** A folder emit must write (custom configs): its open_clip_config.json and the weights to link in. */
  localDir: {
    name: string;
    config: { model_cfg: ModelCfg; preprocess_cfg: Record<string, unknown> };
    weights: string | null;
  } | null;
  modelCfg: ModelCfg;
  tokenizer: TokenizerInfo;
  imageSize: [number, number];
  mean: [number, number, number];
  std: [number, number, number];
  quickGelu: boolean;
  /** Student only: pass --force-quick-gelu (its tag needs QuickGELU and no alias carries the tag). */
  forceQuickGelu: boolean;
  family: string;
  coca: boolean;
  clap: boolean;
  /** SigLIP-style models carry a learned logit_bias. */
  logitBias: boolean;
  costs: TowerCosts | null;
  notices: string[];
  errors: Array<{ code: string; message: string }>;
}

const looksLikeFile = (s: string): boolean => /[/\\]/.test(s) || /\.(pt|pth|bin|safetensors|ckpt)$/i.test(s);

function size2(size: number | [number, number]): [number, number] {
  return Array.isArray(size) ? [size[0], size[1]] : [size, size];
}

function readCustomConfig(
  file: string,
  label: string,
): { model_cfg: ModelCfg; preprocess_cfg: Record<string, unknown> } {
  if (!existsSync(file))
    throw new DistillError(
      'BAD_RECIPE',
      `${label}: config file ${file} does not exist; 'config' is relative to the recipe file`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(readSmallTextFile(file, MAX_CONFIG_FILE_BYTES, 'config'));
  } catch (e) {
    throw new DistillError('BAD_RECIPE', `${label}: config file ${file} is not JSON (${(e as Error).message})`);
  }
  const obj = raw as Record<string, unknown>;
  // Accept a bare model config (model_configs/*.json) or an open_clip_config.json.
  if (obj && typeof obj === 'object' && 'model_cfg' in obj)
    return {
      model_cfg: obj.model_cfg as ModelCfg,
      preprocess_cfg: (obj.preprocess_cfg ?? {}) as Record<string, unknown>,
    };
  return { model_cfg: obj as ModelCfg, preprocess_cfg: {} };
}

/**
 * Resolves a recipe's teacher or student through the registry and decides how open_clip_train must
 * name it. The teacher's QuickGELU need is met by switching to the `-quickgelu` architecture (the
 * teacher gets no --force-quick-gelu in open_clip_train); problems are collected, not thrown, so a
 * plan can show all of them.
 */
export async function modelFacts(ref: ModelRef, role: Role, recipeDir: string): Promise<ModelFacts> {
  const label = `${role} ${ref.model}${ref.pretrained ? ` (${ref.pretrained})` : ''}`;
  const notices: string[] = [];
  const errors: ModelFacts['errors'] = [];
  let resolved: ResolvedModel;
  let trainModel: string;
  let trainPretrained: string | null = null;
  let localDir: ModelFacts['localDir'] = null;
  const pretrainedFile =
    ref.pretrained && looksLikeFile(ref.pretrained) ? path.resolve(recipeDir, ref.pretrained) : null;

  if (ref.config) {
    const file = path.resolve(recipeDir, ref.config);
    const config = readCustomConfig(file, label);
    resolved = resolveFromOpenClipConfig(config, file, { spec: ref.model });
    if (ref.pretrained && !pretrainedFile)
      errors.push({
        code: 'BAD_PRETRAINED',
        message: `${label}: with 'config', 'pretrained' must be a weights file, not the tag '${ref.pretrained}'`,
      });
    // open_clip_train can only build a custom config from a local-dir: folder, which emit writes.
    localDir = { name: role, config, weights: pretrainedFile };
    trainModel = `local-dir:${role}`;
  } else {
    const parsed = parseSpec(ref.model);
    const spec = ref.pretrained && !pretrainedFile ? `${ref.model}:${ref.pretrained}` : ref.model;
    if (ref.pretrained && parsed.kind !== 'name') {
      errors.push({
        code: 'BAD_PRETRAINED',
        message: `${label}: ${parsed.kind} models bring their own weights; drop 'pretrained'`,
      });
    }
    if (parsed.kind === 'name' && parsed.tag && ref.pretrained) {
      throw new DistillError(
        'BAD_RECIPE',
        `${label}: give the tag once, either in 'model' (ARCH:TAG) or in 'pretrained'`,
      );
    }
    try {
      resolved = await resolve(spec, { registryFile: false });
    } catch (e) {
      if (e instanceof RegistryError) throw new DistillError('BAD_RECIPE', `${role}: ${e.message}`);
      throw e;
    }
    if (parsed.kind === 'local-dir') {
      trainModel = `local-dir:${path.resolve(recipeDir, parsed.path)}`;
      if (role === 'teacher') {
        // open_clip ignores --distill-pretrained under local-dir:, but main.py distills only when it is set.
        const w = resolved.weights?.kind === 'local' ? resolved.weights.path : null;
        if (!w)
          errors.push({
            code: 'TEACHER_WITHOUT_WEIGHTS',
            message: `${label}: the folder holds no checkpoint; a teacher needs trained weights`,
          });
        trainPretrained = w ?? 'none';
      }
    } else if (parsed.kind === 'hf-hub') {
      trainModel = ref.model;
      if (role === 'teacher') trainPretrained = 'hf-hub';
    } else {
      trainModel = resolved.arch ?? ref.model;
      trainPretrained = pretrainedFile ?? resolved.tag;
    }
  }

  const cfg = resolved.modelCfg;
  const archs = new Map(listArchitectures().map((a) => [a.name, a]));
  let forceQuickGelu = false;
  // The registry forces quick_gelu into modelCfg when the tag was trained with it; open_clip_train
  // builds the architecture's own config, so the name has to change to get the same activation.
  const archCfg = resolved.arch ? archs.get(resolved.arch)?.config : undefined;
  if (resolved.arch && resolved.tag && resolved.quickGelu && archCfg && archCfg.quick_gelu !== true) {
    const alias = `${resolved.arch}-quickgelu`;
    const aliasInfo = archs.get(alias);
    if (aliasInfo && aliasInfo.tags.includes(resolved.tag)) {
      trainModel = alias;
      notices.push(
        `${role} ${resolved.arch}:${resolved.tag} was trained with QuickGELU but ${resolved.arch} builds GELU: using ${alias} (same weights, QuickGELU); open_clip would only warn and lose accuracy`,
      );
    } else if (role === 'student') {
      forceQuickGelu = true;
      notices.push(
        `student tag ${resolved.tag} needs QuickGELU and ${alias} does not carry it: passing --force-quick-gelu`,
      );
    } else {
      errors.push({
        code: 'QUICKGELU_UNAVAILABLE',
        message: `teacher ${resolved.arch}:${resolved.tag} needs QuickGELU, but open_clip_train builds the teacher without --force-quick-gelu and ${alias} has no tag ${resolved.tag}; download the weights and set teacher.model: ${alias}, teacher.pretrained: PATH`,
      });
    }
  }
  if (pretrainedFile && resolved.arch && !ref.config) {
    notices.push(
      `${role} weights from ${pretrainedFile}: cliphub cannot tell their activation; make sure ${trainModel} matches how they were trained`,
    );
  }

  const lower = `${ref.model} ${resolved.arch ?? ''}`.toLowerCase();
  const coca = resolved.family === 'coca' || cfg.multimodal_cfg !== undefined || lower.includes('coca');
  const clap = 'audio_cfg' in cfg || /\bclap\b|[-_]clap/.test(lower);
  const costs = (resolved.arch ? profileCosts(resolved.arch) : null) ?? configCosts(cfg);
  return {
    role,
    label,
    arch: resolved.arch,
    trainModel,
    trainPretrained,
    localDir,
    modelCfg: cfg,
    tokenizer: resolved.tokenizer,
    imageSize: size2(resolved.preprocessCfg.size),
    mean: resolved.preprocessCfg.mean,
    std: resolved.preprocessCfg.std,
    quickGelu: resolved.quickGelu,
    forceQuickGelu,
    family: resolved.family,
    coca,
    clap,
    logitBias: typeof cfg.init_logit_bias === 'number',
    costs,
    // QuickGELU is decided above in open_clip_train's terms; of the registry's notes only missing weights matter here.
    notices: [...notices, ...resolved.notes.filter((n) => n.startsWith('no checkpoint'))],
    errors,
  };
}
