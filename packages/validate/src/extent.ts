/**
 * Smallest and largest finite value of a series, by loop: `Math.min(...xs)` overflows the call stack on
 * large arrays. Both are NaN when no value is finite.
 */
export function finiteExtent(xs: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i] as number;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min > max ? { min: NaN, max: NaN } : { min, max };
}

/**
 * The q-quantiles of a series with numpy's default (linear) interpolation; NaN when the series holds a
 * NaN or is empty, so a broken metric is never summarised as a fine one.
 */
export function quantiles(xs: ArrayLike<number>, qs: readonly number[]): number[] {
  const sorted = Float64Array.from(xs).sort();
  if (!sorted.length || Number.isNaN(sorted[sorted.length - 1])) return qs.map(() => NaN);
  return qs.map((q) => {
    const pos = q * (sorted.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(sorted.length - 1, lo + 1);
    const a = sorted[lo] as number;
    const b = sorted[hi] as number;
    return a === b ? a : a + (b - a) * (pos - lo);
  });
}
