import { finiteExtent } from './extent.js';
import type { TowerMetrics } from './metrics.js';
import { DEFAULT_PROFILES, type Precision, type Profile } from './profiles.js';
import type { SimilarityMetrics } from './similarity.js';

export type DiagnosisKind =
  'non-finite' | 'activation-mismatch' | 'weights-mismatch' | 'reduced-precision' | 'similarity-only';

export interface Diagnosis {
  kind: DiagnosisKind;
  tower: 'image' | 'text' | null;
  message: string;
}

/*
 * The activation-swap band, measured on all six tiny fixtures exported with the other activation
 * (activation-swap.test.ts; also with torch evaluating QuickGELU models as GELU and vice versa): every
 * sample of every tower with GELUs deviated by cosine 0.9997-0.999996 and relL2 0.3%-2.4%, the worst
 * sample within 4x of the best; a ModifiedResNet vision tower stays exact. fp16 output stays above cosine
 * 0.9999987 and a grossly wrong weight (a perturbed projection) drops cosine below 0.99. A slightly
 * perturbed weight can land in this band too, which is why the report says "suspected".
 */
const SWAP_COS_MIN = 0.99;
const SWAP_COS_MAX = 0.999998;
const SWAP_REL_MIN = 1e-3;
const SWAP_REL_MAX = 0.1;
const SWAP_SPREAD = 25;

const towerName = (t: 'image' | 'text'): string => (t === 'image' ? 'image (vision)' : 'text');
const pct = (x: number): string => `${(x * 100).toPrecision(2)}%`;

function towerFails(m: TowerMetrics, p: Profile): boolean {
  return (
    m.nonFinite > 0 || !(m.minCosine >= p.minCosine) || !(m.maxRelL2 <= p.maxRelL2) || !(m.maxAbsRel <= p.maxAbsRel)
  );
}

/**
 * `damped` drops the lower bounds: a tower with layer scale (ls_init_value 0.1) shrinks the swap's effect
 * to fp16 size (relL2 6.5e-4, cosine 1-2e-7 on tiny-vit-variants), so it only counts as a swap when the
 * other tower shows the full pattern. Consistency is judged on relL2, which stays above float noise.
 */
function looksLikeActivationSwap(m: TowerMetrics, damped = false): boolean {
  const cos = m.samples.map((s) => s.cosine);
  const rel = m.samples.map((s) => s.relL2);
  // every() already rejects NaN/Inf, so the finite extent is the whole range when it matters
  const { min: lo, max: hi } = finiteExtent(rel);
  return (
    cos.every((c) => c >= SWAP_COS_MIN && (damped || c <= SWAP_COS_MAX)) &&
    rel.every((r) => (damped || r >= SWAP_REL_MIN) && r <= SWAP_REL_MAX) &&
    lo > 0 &&
    hi / lo <= SWAP_SPREAD
  );
}

/** Lowest and highest per-sample cosine; NaN when any is NaN, as the spread it replaces gave. */
function cosineRange(m: TowerMetrics): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const s of m.samples) {
    if (Number.isNaN(s.cosine)) return { min: NaN, max: NaN };
    if (s.cosine < min) min = s.cosine;
    if (s.cosine > max) max = s.cosine;
  }
  return { min, max };
}

export interface DiagnosisContext {
  /** Activations the artifact declares (cliphub.json), if it says. */
  declared?: { vision?: string; text?: string } | null;
  /** The reference's model_cfg, for the activation open_clip used. */
  modelCfg?: Record<string, unknown> | null;
}

/** What the artifact's own metadata adds to an activation suspicion: a declared activation open_clip would not use. */
function activationEvidence(tower: 'image' | 'text', ctx: DiagnosisContext): string {
  const declared = ctx.declared?.[tower === 'image' ? 'vision' : 'text'];
  if (!declared || !ctx.modelCfg) return '';
  const quick = ctx.modelCfg.quick_gelu === true;
  const gelu = /gelu/.test(declared) && declared !== 'relu';
  if (gelu && quick !== (declared === 'quick_gelu')) {
    return ` (the artifact declares ${declared} but the reference model has quick_gelu: ${quick})`;
  }
  return '';
}

/** Explains a failed comparison by the pattern of its deviations; empty when nothing failed. */
export function diagnose(
  towers: TowerMetrics[],
  sim: SimilarityMetrics | null,
  profile: Profile,
  artifactPrecision: Precision,
  ctx: DiagnosisContext = {},
): Diagnosis[] {
  const out: Diagnosis[] = [];
  const failing = towers.filter((m) => towerFails(m, profile));
  const exact = towers.filter((m) => !towerFails(m, profile)).map((m) => m.tower);
  const otherExact = (t: string): string =>
    exact.length && !exact.includes(t as 'image') ? ` while the ${exact.join(' and ')} tower matches` : '';
  for (const m of failing) {
    const cosines = cosineRange(m);
    const range = `cosine ${cosines.min.toFixed(6)}-${cosines.max.toFixed(6)}, relL2 up to ${pct(m.maxRelL2)}`;
    if (m.nonFinite > 0) {
      out.push({
        kind: 'non-finite',
        tower: m.tower,
        message: `${towerName(m.tower)} tower outputs ${m.nonFinite} NaN/Inf values: overflow in reduced precision or a broken graph`,
      });
    } else if (artifactPrecision !== profile.precision && !towerFails(m, DEFAULT_PROFILES[artifactPrecision])) {
      out.push({
        kind: 'reduced-precision',
        tower: m.tower,
        message: `${towerName(m.tower)} tower deviates like ${artifactPrecision} arithmetic (${range}); judge a ${artifactPrecision} artifact with --profile ${artifactPrecision}`,
      });
    } else if (artifactPrecision === 'fp32' && looksLikeActivationSwap(m)) {
      out.push({
        kind: 'activation-mismatch',
        tower: m.tower,
        message: `QuickGELU/GELU mismatch suspected in the ${towerName(m.tower)} tower: every sample deviates by a similar, moderate amount (${range})${otherExact(m.tower)}${activationEvidence(m.tower, ctx)}; check quick_gelu in the model config and the export's activation`,
      });
    } else if (m.samples.every((s) => s.cosine > SWAP_COS_MAX && s.relL2 < 3e-3)) {
      out.push({
        kind: 'reduced-precision',
        tower: m.tower,
        message: `${towerName(m.tower)} tower deviates by the size of fp16 rounding (${range}); was it computed in reduced precision? then use --profile fp16`,
      });
    } else {
      out.push({
        kind: 'weights-mismatch',
        tower: m.tower,
        message: `${towerName(m.tower)} tower computes a different function (${range})${otherExact(m.tower)}${artifactPrecision === 'fp32' ? '' : `, beyond ${artifactPrecision} rounding`}: wrong or perturbed weights, a missing layer, or different pooling suspected`,
      });
    }
  }
  // The activation is one model-level flag: when one tower shows the swap, a damped, consistent
  // deviation in the other has the same cause.
  if (out.some((d) => d.kind === 'activation-mismatch')) {
    for (const [i, d] of out.entries()) {
      const m = failing.find((f) => f.tower === d.tower);
      if (d.kind === 'reduced-precision' && artifactPrecision === 'fp32' && m && looksLikeActivationSwap(m, true)) {
        out[i] = {
          kind: 'activation-mismatch',
          tower: d.tower,
          message: `QuickGELU/GELU mismatch suspected in the ${towerName(m.tower)} tower too: a smaller but equally consistent deviation (relL2 up to ${pct(m.maxRelL2)}; layer scale damps it)${activationEvidence(m.tower, ctx)}`,
        };
      }
    }
  }
  if (!failing.length && sim) {
    const bad =
      !(sim.argmaxImageToText >= profile.minArgmaxAgreement && sim.argmaxTextToImage >= profile.minArgmaxAgreement) ||
      !(sim.spearman >= profile.minSpearman) ||
      !(sim.maxCosSimDiff <= profile.maxCosSimDiff);
    if (bad) {
      out.push({
        kind: 'similarity-only',
        tower: null,
        message:
          'every tower is within tolerance but the similarity matrix changed: near-tied image-text scores flipped; add samples or relax the similarity limits',
      });
    }
  }
  return out;
}
