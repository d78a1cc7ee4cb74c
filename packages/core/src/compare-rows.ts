/** How far one candidate row is from its reference row. */
export interface RowDeviation {
  /** got·want / (|got| |want|); 1 when both rows are all zero, NaN when only one is. */
  cosine: number;
  /** max |got − want|; NaN once any difference is NaN, so a broken value is never hidden. */
  maxAbs: number;
  /** max |want|. */
  maxRef: number;
  /** |got − want| / |want|: 0 for equal zero rows, Infinity for a nonzero row against a zero reference. */
  relL2: number;
  /** NaN or ±Inf entries in got. */
  nonFinite: number;
}

/** Deviation of got[start, end) from want[start, end). */
export function rowDeviation(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  start: number,
  end: number,
): RowDeviation {
  // f64 sums: f32 accumulation would add ~1e-7 noise, the size of the fp32 differences measured.
  let dot = 0;
  let gotSq = 0;
  let wantSq = 0;
  let diffSq = 0;
  let maxAbs = 0;
  let maxRef = 0;
  let nonFinite = 0;
  for (let k = start; k < end; k++) {
    const g = got[k] as number;
    const w = want[k] as number;
    if (!Number.isFinite(g)) nonFinite++;
    dot += g * w;
    gotSq += g * g;
    wantSq += w * w;
    diffSq += (g - w) * (g - w);
    maxAbs = Math.max(maxAbs, Math.abs(g - w));
    maxRef = Math.max(maxRef, Math.abs(w));
  }
  return {
    cosine: gotSq === 0 && wantSq === 0 ? 1 : dot / Math.sqrt(gotSq * wantSq),
    maxAbs,
    maxRef,
    relL2: wantSq === 0 ? (diffSq === 0 ? 0 : Infinity) : Math.sqrt(diffSq / wantSq),
    nonFinite,
  };
}

export interface RowsComparison {
  rows: RowDeviation[];
  /** The worst row's cosine, at most 1 (rounding can put an exact match a hair above). */
  minCos: number;
  /** max |got − want| over all rows. */
  maxAbs: number;
  /** max |want| over all rows. */
  maxRef: number;
}

/** Row-by-row deviation of two row-major [n, dim] matrices; n is taken from want. */
export function compareRows(got: ArrayLike<number>, want: ArrayLike<number>, dim: number): RowsComparison {
  const rows: RowDeviation[] = [];
  let minCos = 1;
  let maxAbs = 0;
  let maxRef = 0;
  for (let r = 0; r < want.length / dim; r++) {
    const row = rowDeviation(got, want, r * dim, (r + 1) * dim);
    rows.push(row);
    minCos = Math.min(minCos, row.cosine);
    maxAbs = Math.max(maxAbs, row.maxAbs);
    maxRef = Math.max(maxRef, row.maxRef);
  }
  return { rows, minCos, maxAbs, maxRef };
}
