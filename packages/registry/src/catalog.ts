import { activationOf } from './activation.js';
import { loadRegistryData } from './data.js';
import { mparamsFromConfig } from './params.js';
import { preprocessCfgFor } from './preprocess.js';
import { quickGeluDecision } from './quickgelu.js';
import { runtimePiecesOf } from './runtime.js';
import type { PretrainedFileEntry } from './schema.js';
import { tokenizerOf } from './tokenizer.js';
import { familyOf, textTowerOf, visionTowerOf } from './towers.js';
import type { ArchitectureInfo, ModelCfg, PretrainedEntry } from './types.js';

export interface Catalog {
  architectures: ArchitectureInfo[];
  byArch: Map<string, ArchitectureInfo>;
  pretrained: PretrainedEntry[];
  /** The raw committed entry per `arch:tag`. */
  raw: Map<string, PretrainedFileEntry>;
}

const QUICKGELU_SUFFIX = '-quickgelu';

function withoutQuickGelu(cfg: ModelCfg): string {
  const { quick_gelu: _q, ...rest } = cfg;
  return JSON.stringify(rest);
}

let cached: Catalog | undefined;

/** Everything the listings show, derived once from the committed data. */
export function catalog(): Catalog {
  if (cached) return cached;
  const data = loadRegistryData();
  const archEntries = Object.entries(data.architectures.architectures);
  const names = new Set(archEntries.map(([n]) => n));
  const tagsByArch = new Map<string, string[]>();
  for (const e of data.pretrained.entries) tagsByArch.set(e.arch, [...(tagsByArch.get(e.arch) ?? []), e.tag]);

  const byArch = new Map<string, ArchitectureInfo>();
  for (const [name, { config, profile }] of archEntries) {
    const cfg = config as ModelCfg;
    const tokenizer = tokenizerOf(cfg, { arch: name });
    const pre = preprocessCfgFor(cfg);
    const info: ArchitectureInfo = {
      name,
      family: familyOf(cfg, name),
      visionTower: visionTowerOf(cfg, name),
      textTower: textTowerOf(cfg),
      runtime: runtimePiecesOf(cfg, tokenizer),
      imageSize: pre.size,
      contextLength: tokenizer.contextLength,
      tokenizer: tokenizer.kind,
      activation: activationOf(cfg),
      quickGelu: cfg.quick_gelu === true,
      mparams: profile?.mparams ?? mparamsFromConfig(cfg),
      gflops: profile?.gflops ?? null,
      tags: tagsByArch.get(name) ?? [],
      config: cfg,
    };
    const base = name.endsWith(QUICKGELU_SUFFIX) ? name.slice(0, -QUICKGELU_SUFFIX.length) : null;
    const baseCfg = base ? data.architectures.architectures[base]?.config : undefined;
    if (base && baseCfg && withoutQuickGelu(baseCfg as ModelCfg) === withoutQuickGelu(cfg))
      info.quickGeluAliasOf = base;
    byArch.set(name, info);
  }
  // An alias has the same shapes as its base, so the base's profile applies (upstream profiles only the base).
  for (const info of byArch.values()) {
    const base = info.quickGeluAliasOf ? byArch.get(info.quickGeluAliasOf) : undefined;
    if (base && info.mparams === null) {
      info.mparams = base.mparams;
      info.gflops = base.gflops;
    }
  }

  const rawByKey = new Map(data.pretrained.entries.map((e) => [`${e.arch}:${e.tag}`, e]));
  const pretrained = data.pretrained.entries.map((e): PretrainedEntry => {
    const arch = byArch.get(e.arch)!;
    const decision = quickGeluDecision(e.arch, arch.config, e.tag, e.quickGelu, names);
    const cfg: ModelCfg = decision.quickGelu && !arch.quickGelu ? { ...arch.config, quick_gelu: true } : arch.config;
    const provenance: Record<string, string> = { quickGelu: decision.source };
    const profile = data.architectures.architectures[e.arch]?.profile;
    let mparams: number | null = null;
    let gflops: number | null = null;
    if (profile?.mparams != null) {
      mparams = profile.mparams;
      gflops = profile.gflops;
      provenance.mparams = `model_profile.csv row ${e.arch}`;
    } else if (e.results?.mparams != null) {
      mparams = e.results.mparams;
      gflops = e.results.gflops;
      provenance.mparams = `openclip_results.csv row ${e.arch}/${e.tag}`;
    } else if (arch.quickGeluAliasOf && arch.mparams !== null) {
      mparams = arch.mparams;
      gflops = arch.gflops;
      provenance.mparams = `model_profile.csv row ${arch.quickGeluAliasOf} (${e.arch} differs only in activation)`;
    } else if (arch.mparams !== null) {
      mparams = arch.mparams; // no upstream row: counted from the config (see params.ts)
      provenance.mparams = `computed from the ${e.arch} config (upstream profiles no such row)`;
    } else if (mparamsFromConfig(arch.config) !== null) {
      mparams = mparamsFromConfig(arch.config);
      provenance.mparams = `computed from ${e.arch}'s model_cfg (no upstream profile row)`;
    }
    // Zero-shot results: the pair's own row, else the base architecture's row for the same weights.
    let results = e.results;
    if (results) provenance.imagenet1k = `openclip_results.csv row ${e.arch}/${e.tag}`;
    else if (arch.quickGeluAliasOf) {
      const baseRow = rawByKey.get(`${arch.quickGeluAliasOf}:${e.tag}`)?.results;
      if (baseRow) {
        results = baseRow;
        provenance.imagenet1k = `openclip_results.csv row ${arch.quickGeluAliasOf}/${e.tag} (same weights as ${e.arch}:${e.tag})`;
      }
    }
    const entry: PretrainedEntry = {
      name: `${e.arch}:${e.tag}`,
      arch: e.arch,
      tag: e.tag,
      source: 'open_clip',
      family: arch.family,
      visionTower: arch.visionTower,
      textTower: arch.textTower,
      runtime: arch.runtime,
      mparams,
      gflops,
      imageSize: arch.imageSize,
      contextLength: arch.contextLength,
      tokenizer: arch.tokenizer,
      activation: activationOf(cfg),
      quickGelu: decision.quickGelu,
      imagenet1k: results?.imagenet1k ?? null,
      avg38: results?.avg38 ?? null,
      hfHub: e.hfHub,
      url: e.url,
      sha256: e.sha256,
      mean: e.mean,
      std: e.std,
      interpolation: e.interpolation,
      resizeMode: e.resizeMode,
      provenance,
    };
    if (e.quickGelu !== undefined) entry.tagQuickGelu = e.quickGelu;
    return entry;
  });
  cached = { architectures: [...byArch.values()], byArch, pretrained, raw: rawByKey };
  return cached;
}
