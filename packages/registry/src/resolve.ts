import { existsSync } from 'node:fs';
import path from 'node:path';
import { activationOf } from './activation.js';
import { catalog } from './catalog.js';
import { findCheckpointInDir, OPEN_CLIP_CONFIG, readOpenClipConfigDir } from './config-file.js';
import { RegistryError } from './errors.js';
import { makeDefaultHubConfigLoader, type HubConfigLoader } from './hub-loader.js';
import { preprocessCfgFor } from './preprocess.js';
import { quickGeluDecision } from './quickgelu.js';
import { resolveFromOpenClipConfig } from './resolve-config.js';
import { runtimePiecesOf } from './runtime.js';
import { cleanTag, parseSpec } from './spec.js';
import { closestNames } from './suggest.js';
import { tokenizerOf } from './tokenizer.js';
import type { ModelCfg, ResolvedModel, TowerSupportFn, WeightsSource } from './types.js';
import { readUserRegistry, userRegistryFile } from './user-registry.js';

export interface ResolveOptions {
  /** Reads a Hub repo's open_clip_config.json; default: the HF cache, then HF_ENDPOINT. */
  hubConfigLoader?: HubConfigLoader;
  /** The user registry file; false ignores user models. Default: userRegistryFile(). */
  registryFile?: string | false;
  /** ONNX exporter support per tower (from @cliphub/onnx-export); attached as `support` when given. */
  support?: TowerSupportFn;
}

function localWeights(dir: string, notes: string[]): WeightsSource | null {
  const ckpt = existsSync(dir) ? findCheckpointInDir(dir) : null;
  if (!ckpt) notes.push(`no checkpoint (*.safetensors, *.bin, *.pth) in ${dir}: only the config is known`);
  return ckpt ? { kind: 'local', path: ckpt } : null;
}

function resolvePair(spec: string, arch: string, tag: string | null): ResolvedModel {
  const cat = catalog();
  const info = cat.byArch.get(arch)!;
  const raw = tag === null ? undefined : cat.raw.get(`${arch}:${tag}`);
  const decision = quickGeluDecision(arch, info.config, tag, raw?.quickGelu, new Set(cat.byArch.keys()));
  const modelCfg = structuredClone(info.config) as ModelCfg;
  // Forcing mirrors create_model(force_quick_gelu=True): the only change to the upstream config.
  if (decision.quickGelu && modelCfg.quick_gelu !== true) modelCfg.quick_gelu = true;
  const tokenizer = tokenizerOf(modelCfg, { arch });
  const notes = [...decision.notes];
  const provenance: Record<string, string> = {
    modelCfg: `open_clip 3.3.0 model_configs/${arch}.json${modelCfg.quick_gelu !== info.config.quick_gelu ? ' with quick_gelu forced by the tag' : ''}`,
    quickGelu: decision.source,
    tokenizer: `open_clip 3.3.0 get_tokenizer rules over model_configs/${arch}.json text_cfg`,
    activation: 'open_clip 3.3.0 tower builders; timm/HF towers from registry/towers.json',
  };
  let weights: WeightsSource | null = null;
  const alternatives: WeightsSource[] = [];
  if (raw) {
    // open_clip prefers the Hub copy when a tag has both, and checks URL downloads against the sha256 in the URL.
    if (raw.hfHub) weights = { kind: 'hf-hub', repo: raw.hfHub.repo, file: raw.hfHub.file };
    if (raw.url) {
      const url: WeightsSource = raw.sha256
        ? { kind: 'url', url: raw.url, sha256: raw.sha256 }
        : { kind: 'url', url: raw.url };
      if (weights) alternatives.push(url);
      else weights = url;
    }
    if (weights?.kind === 'hf-hub' && weights.file === null)
      notes.push(
        "the Hub repo's default file: open_clip tries open_clip_model.safetensors, then open_clip_pytorch_model.bin",
      );
    provenance.preprocessCfg = `open_clip 3.3.0 pretrained tag ${arch}:${tag} over PreprocessCfg defaults; size from vision_cfg.image_size`;
    provenance.weights = `open_clip 3.3.0 pretrained tag ${arch}:${tag} (hf_hub${raw.url ? ', url' : ''})`;
  } else {
    provenance.preprocessCfg = `open_clip 3.3.0 PreprocessCfg defaults; size from model_configs/${arch}.json`;
    notes.push(
      `no pretrained tag given: architecture only (tags: ${info.tags.length ? info.tags.join(', ') : 'none in open_clip 3.3.0'})`,
    );
  }
  const preprocessCfg = preprocessCfgFor(
    modelCfg,
    raw ? { mean: raw.mean, std: raw.std, interpolation: raw.interpolation, resize_mode: raw.resizeMode } : {},
  );
  return {
    spec,
    arch,
    tag,
    modelCfg,
    preprocessCfg,
    weights,
    weightsAlternatives: alternatives,
    tokenizer,
    activation: activationOf(modelCfg),
    quickGelu: decision.quickGelu,
    family: info.family,
    visionTower: info.visionTower,
    textTower: info.textTower,
    runtime: runtimePiecesOf(modelCfg, tokenizer),
    provenance,
    notes,
  };
}

function unknownTag(arch: string, tag: string): RegistryError {
  const cat = catalog();
  const tags = cat.byArch.get(arch)!.tags;
  const elsewhere = cat.pretrained.filter((e) => e.tag === tag).map((e) => e.arch);
  const suggestions = [
    ...closestNames(tag, tags).map((t) => `${arch}:${t}`),
    ...closestNames(arch, elsewhere, 2).map((a) => `${a}:${tag}`),
  ];
  if (tags.length === 0) {
    return new RegistryError(
      'UNKNOWN_TAG',
      `${arch} has no pretrained weights in open_clip 3.3.0 (tag '${tag}'); pick an architecture that has some ('cliphub models').`,
      suggestions,
    );
  }
  const listed =
    tags.length > 8
      ? `${tags.slice(0, 8).join(', ')} and ${tags.length - 8} more (cliphub models --search ${arch})`
      : tags.join(', ');
  return new RegistryError(
    'UNKNOWN_TAG',
    `unknown tag '${tag}' for ${arch}; its tags are: ${listed}.`,
    suggestions.slice(0, 4),
  );
}

/**
 * Resolves a spec to one fully described model: `ARCH`, `ARCH:TAG`, `ARCH/TAG`, a user-registered
 * name, `hf-hub:ORG/REPO[@REV]` (its open_clip_config.json via the loader) or `local-dir:PATH`.
 */
export async function resolve(spec: string, options: ResolveOptions = {}): Promise<ResolvedModel> {
  const parsed = parseSpec(spec);
  let out: ResolvedModel;
  if (parsed.kind === 'hf-hub') {
    const loader = options.hubConfigLoader ?? makeDefaultHubConfigLoader();
    const config = await loader(parsed.repo, parsed.revision ?? undefined);
    const rev = parsed.revision ? `@${parsed.revision}` : '';
    out = resolveFromOpenClipConfig(config, `hf-hub:${parsed.repo}${rev}/${OPEN_CLIP_CONFIG}`, { spec });
    out.weights = parsed.revision
      ? { kind: 'hf-hub', repo: parsed.repo, file: null, revision: parsed.revision }
      : { kind: 'hf-hub', repo: parsed.repo, file: null };
    out.provenance.weights = `hf-hub:${parsed.repo}${rev} (default file: open_clip_model.safetensors, else open_clip_pytorch_model.bin)`;
    noteKnownHubRepo(out, parsed.repo);
  } else if (parsed.kind === 'local-dir') {
    const dir = path.resolve(parsed.path);
    out = resolveFromOpenClipConfig(readOpenClipConfigDir(dir), path.join(dir, OPEN_CLIP_CONFIG), {
      spec,
      localDir: dir,
    });
    out.weights = localWeights(dir, out.notes);
    out.provenance.weights = `checkpoint in ${dir} (open_clip's _find_checkpoint_in_dir order)`;
  } else {
    out = resolveName(spec, parsed.name, parsed.tag, options);
  }
  if (options.support) out.support = options.support(out.modelCfg);
  return out;
}

/**
 * A Hub repo that open_clip's pretrained table points at holds that pair's weights: say so, and warn when
 * the repo's config disagrees with the tag on QuickGELU. open_clip builds the repo config as-is, so
 * cliphub does too; the note is the only place this mismatch would surface.
 */
function noteKnownHubRepo(out: ResolvedModel, repo: string): void {
  const cat = catalog();
  const match = cat.pretrained.find((e) => e.hfHub?.repo === repo && e.hfHub.file === null);
  if (!match) return;
  out.notes.push(`this repo holds the weights of open_clip's ${match.name}`);
  if (match.quickGelu !== out.quickGelu) {
    out.notes.push(
      `its config says quick_gelu=${out.quickGelu} but ${match.name} resolves to quick_gelu=${match.quickGelu}; open_clip builds the repo config as-is, consider '${match.name}' instead`,
    );
  }
}

function resolveName(spec: string, name: string, tag: string | null, options: ResolveOptions): ResolvedModel {
  const cat = catalog();
  const file = options.registryFile === undefined ? userRegistryFile() : options.registryFile;
  const users = file === false ? [] : readUserRegistry(file);
  const user = tag === null ? users.find((m) => m.name === name) : undefined;
  if (user) {
    const out = resolveFromOpenClipConfig(
      user.config,
      `${user.path}/${OPEN_CLIP_CONFIG} (registered as ${user.name})`,
      { spec, localDir: user.path },
    );
    out.weights = localWeights(user.path, out.notes);
    out.provenance.weights = `checkpoint in ${user.path}`;
    return out;
  }
  // 'ARCH/TAG': split at the last '/' when both halves are known (open_clip also reads '/' in names as '-').
  if (tag === null && name.includes('/')) {
    const cut = name.lastIndexOf('/');
    const a = name.slice(0, cut).replace(/\//g, '-');
    const t = cleanTag(name.slice(cut + 1));
    if (cat.byArch.has(a) && cat.raw.has(`${a}:${t}`)) return resolvePair(spec, a, t);
  }
  const arch = name.replace(/\//g, '-');
  if (!cat.byArch.has(arch)) {
    const candidates = [...cat.byArch.keys(), ...users.map((m) => m.name)];
    throw new RegistryError(
      'UNKNOWN_MODEL',
      `unknown model '${name}'; run 'cliphub models' (or --search) to see the names.`,
      closestNames(arch, candidates),
    );
  }
  if (tag === null) return resolvePair(spec, arch, null);
  const clean = cleanTag(tag);
  if (!cat.raw.has(`${arch}:${clean}`)) throw unknownTag(arch, clean);
  return resolvePair(spec, arch, clean);
}
