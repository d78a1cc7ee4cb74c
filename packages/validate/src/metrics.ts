import { rowDeviation } from '@cliphub/core';
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
    const { cosine, maxAbs, maxRef, relL2, nonFinite } = rowDeviation(cand, ref, i * dim, (i + 1) * dim);
    samples.push({ cosine, maxAbs, relL2, nonFinite });
    refMax = Math.max(refMax, maxRef);
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
