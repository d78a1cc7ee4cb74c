import type { ModelCardFacts } from './model-card.js';

/**
 * The registry fields a card uses, typed structurally so this package needs no registry
 * dependency: `@cliphub/registry`'s PretrainedEntry and ArchitectureInfo both fit.
 */
export interface RegistryPretrainedFacts {
  /** ARCH:TAG */
  name: string;
  arch: string;
  tag: string | null;
  /** Millions of parameters. */
  mparams: number | null;
  gflops: number | null;
  /** ImageNet-1k zero-shot top-1, as a fraction. */
  imagenet1k: number | null;
  /** Mean over open_clip's 38-dataset zero-shot benchmark, as a fraction. */
  avg38: number | null;
  hfHub: { repo: string; file: string | null } | null;
  family?: string;
  activation?: { vision: string; text: string };
}

export interface RegistryArchitectureFacts {
  name: string;
  config: object;
  mparams: number | null;
  gflops: number | null;
  family?: string;
  activation?: { vision: string; text: string };
}

type RegistryCardFacts = Pick<
  ModelCardFacts,
  | 'architecture'
  | 'family'
  | 'activation'
  | 'pretrained'
  | 'params'
  | 'gflops'
  | 'zeroShot'
  | 'baseModel'
  | 'factsSource'
>;

/** Card facts for an open_clip pretrained pair: size, compute, zero-shot results and the Hub repo it comes from. */
export function registryCardFacts(e: RegistryPretrainedFacts | RegistryArchitectureFacts): RegistryCardFacts {
  const pair = 'arch' in e && e.tag ? e.name : null;
  const out: RegistryCardFacts = {
    architecture: 'arch' in e ? e.arch : e.name,
    factsSource: `open_clip's published profile and results for ${pair ?? `the ${'arch' in e ? e.arch : e.name} architecture`}`,
  };
  if (e.family) out.family = e.family;
  if (e.activation)
    out.activation =
      e.activation.vision === e.activation.text ? e.activation.vision : `${e.activation.vision}/${e.activation.text}`;
  if (e.mparams !== null) out.params = { total: Math.round(e.mparams * 1e6) };
  if (e.gflops !== null) out.gflops = { total: e.gflops };
  if ('arch' in e) {
    if (pair) out.pretrained = pair;
    const zs: NonNullable<ModelCardFacts['zeroShot']> = [];
    if (e.imagenet1k !== null) zs.push({ dataset: 'ImageNet-1k', metric: 'top-1', value: e.imagenet1k });
    if (e.avg38 !== null)
      zs.push({ dataset: '38-dataset average (open_clip benchmark)', metric: 'mean', value: e.avg38 });
    if (zs.length) out.zeroShot = zs;
    if (e.hfHub) out.baseModel = e.hfHub.repo;
  }
  return out;
}

/** JSON with sorted keys, and quick_gelu: false dropped (open_clip reads a missing flag as false). */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x && typeof x === 'object') {
    const entries = Object.entries(x as Record<string, unknown>)
      .filter(([k, v]) => v !== undefined && !(k === 'quick_gelu' && v === false))
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(x);
}

/** The top-level keys (and vision_cfg/text_cfg members) in which two model configs differ; empty when equal. */
export function modelCfgDiff(a: unknown, b: unknown): string[] {
  const ao = (a ?? {}) as Record<string, unknown>;
  const bo = (b ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort();
  const out: string[] = [];
  for (const k of keys) {
    const av = ao[k];
    const bv = bo[k];
    if (canonical({ [k]: av }) === canonical({ [k]: bv })) continue;
    if ((k === 'vision_cfg' || k === 'text_cfg') && av && bv && typeof av === 'object' && typeof bv === 'object')
      out.push(...modelCfgDiff(av, bv).map((s) => `${k}.${s}`));
    else out.push(k);
  }
  return out;
}

/**
 * The architecture whose open_clip config equals `modelCfg` exactly (up to key order and an
 * explicit quick_gelu: false), or null. A converted model names no architecture; this recovers it
 * when the config is unmodified, so the card can state params and FLOPs.
 */
export function matchArchitecture<A extends RegistryArchitectureFacts>(
  modelCfg: unknown,
  architectures: readonly A[],
): A | null {
  const want = canonical(modelCfg);
  return architectures.find((a) => canonical(a.config) === want) ?? null;
}
