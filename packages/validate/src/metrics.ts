import type { Tower } from './reference.js';

export interface SampleMetrics {
  cosine: number;
  maxAbs: number;
  /** ||cand - ref|| / ||ref|| for this sample. */
  relL2: number;
  /** NaN or ±Inf entries in the candidate row. */
  nonFinite: number;
}

export interface TowerMetrics {
  tower: Tower;
  samples: SampleMetrics[];
  minCosine: number;
  meanCosine: number;
  maxAbs: number;
  /** max |Δ| over the tower divided by max |ref|: scale-free, as the fixtures README reports it. */
  maxAbsRel: number;
  maxRelL2: number;
  nonFinite: number;
}

/** Per-sample and aggregate deviation of one tower's [n, dim] candidate embeddings from the reference. */
export function compareTower(
  tower: Tower,
  ref: Float32Array,
  cand: Float32Array,
  n: number,
  dim: number,
): TowerMetrics {
  const samples: SampleMetrics[] = [];
  let refMax = 0;
  for (let i = 0; i < n; i++) {
    // f64 sums: f32 accumulation would add ~1e-7 noise, the size of the fp32 differences measured.
    let dot = 0;
    let rr = 0;
    let cc = 0;
    let dd = 0;
    let maxAbs = 0;
    let nonFinite = 0;
    for (let j = i * dim; j < (i + 1) * dim; j++) {
      const r = ref[j] as number;
      const c = cand[j] as number;
      if (!Number.isFinite(c)) nonFinite++;
      dot += r * c;
      rr += r * r;
      cc += c * c;
      dd += (c - r) * (c - r);
      const a = Math.abs(c - r);
      if (Number.isNaN(a) || a > maxAbs) maxAbs = Number.isNaN(maxAbs) ? maxAbs : a; // NaN sticks, so it is never hidden
      refMax = Math.max(refMax, Math.abs(r));
    }
    const cosine = rr === 0 && cc === 0 ? 1 : dot / Math.sqrt(rr * cc);
    const relL2 = rr === 0 ? (dd === 0 ? 0 : Infinity) : Math.sqrt(dd / rr);
    samples.push({ cosine, maxAbs, relL2, nonFinite });
  }
  const worst = (f: (s: SampleMetrics) => number, min: boolean): number =>
    samples.reduce(
      (acc, s) => {
        const v = f(s);
        if (Number.isNaN(v) || Number.isNaN(acc)) return NaN;
        return min ? Math.min(acc, v) : Math.max(acc, v);
      },
      min ? Infinity : 0,
    );
  const maxAbs = worst((s) => s.maxAbs, false);
  return {
    tower,
    samples,
    minCosine: worst((s) => s.cosine, true),
    meanCosine: samples.reduce((a, s) => a + s.cosine, 0) / Math.max(1, n),
    maxAbs,
    maxAbsRel: refMax === 0 ? maxAbs : maxAbs / refMax,
    maxRelL2: worst((s) => s.relL2, false),
    nonFinite: samples.reduce((a, s) => a + s.nonFinite, 0),
  };
}
