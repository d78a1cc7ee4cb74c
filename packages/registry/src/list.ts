import { catalog } from './catalog.js';
import { RegistryError } from './errors.js';
import { resolveFromOpenClipConfig } from './resolve-config.js';
import { closestNames } from './suggest.js';
import type { ArchitectureInfo, PretrainedEntry } from './types.js';
import { readUserRegistry, userRegistryFile, type UserModel } from './user-registry.js';

export interface PretrainedFilter {
  /** Matches family, vision tower or text tower, case-insensitively, by substring ('siglip', 'timm-eva', 'hf-text'). */
  family?: string;
  /** Minimum ImageNet-1k zero-shot top-1, as a fraction (0.75). Entries without a result are dropped. */
  minImagenet?: number;
  /** Maximum parameters, in millions. Entries without a count are dropped. */
  maxParams?: number;
  /** Keep only entries whose effective QuickGELU decision equals this. */
  quickGelu?: boolean;
  arch?: string;
}

export interface ListOptions {
  /** The user registry file; false leaves user models out. Default: userRegistryFile(). */
  registryFile?: string | false;
}

/** A user-registered model as a listing entry (derived from its stored config). */
export function userModelEntry(m: UserModel): PretrainedEntry {
  const r = resolveFromOpenClipConfig(m.config, `${m.path}/open_clip_config.json`, { spec: m.name });
  return {
    name: m.name,
    arch: m.name,
    tag: null,
    source: 'user',
    family: r.family,
    visionTower: r.visionTower,
    textTower: r.textTower,
    runtime: r.runtime,
    mparams: null,
    gflops: null,
    imageSize: r.preprocessCfg.size,
    contextLength: r.tokenizer.contextLength,
    tokenizer: r.tokenizer.kind,
    activation: r.activation,
    quickGelu: r.quickGelu,
    imagenet1k: null,
    avg38: null,
    hfHub: null,
    url: null,
    sha256: null,
    mean: r.preprocessCfg.mean,
    std: r.preprocessCfg.std,
    interpolation: r.preprocessCfg.interpolation,
    resizeMode: r.preprocessCfg.resize_mode,
    path: m.path,
    provenance: { ...r.provenance, registeredAt: m.addedAt },
  };
}

/** Every family, tower and text-tower name a filter can match. */
export function knownFamilies(): string[] {
  const names = new Set<string>();
  for (const a of catalog().architectures) [a.family, a.visionTower, a.textTower].forEach((n) => names.add(n));
  return [...names].sort();
}

/**
 * open_clip's 196 (architecture, tag) pairs, in upstream order, then user-registered models (when the
 * registry file exists), filtered.
 */
export function listPretrained(filter: PretrainedFilter = {}, options: ListOptions = {}): PretrainedEntry[] {
  const file = options.registryFile === undefined ? userRegistryFile() : options.registryFile;
  const user = file === false ? [] : readUserRegistry(file).map(userModelEntry);
  let out = [...catalog().pretrained, ...user];
  if (filter.family !== undefined) {
    const f = filter.family.toLowerCase();
    const families = knownFamilies();
    if (!families.some((n) => n.includes(f))) {
      throw new RegistryError(
        'UNKNOWN_MODEL',
        `no family matches '${filter.family}'; families are ${families.join(', ')}.`,
        closestNames(filter.family, families),
      );
    }
    out = out.filter((e) => [e.family, e.visionTower, e.textTower].some((n) => n.includes(f)));
  }
  if (filter.minImagenet !== undefined)
    out = out.filter((e) => e.imagenet1k !== null && e.imagenet1k >= filter.minImagenet!);
  if (filter.maxParams !== undefined) out = out.filter((e) => e.mparams !== null && e.mparams <= filter.maxParams!);
  if (filter.quickGelu !== undefined) out = out.filter((e) => e.quickGelu === filter.quickGelu);
  if (filter.arch !== undefined) out = out.filter((e) => e.arch === filter.arch);
  return out;
}

/** open_clip's 144 architecture configs, in its natural-sort order, with derived facts. */
export function listArchitectures(): ArchitectureInfo[] {
  return catalog().architectures;
}
