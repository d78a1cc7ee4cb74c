const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The permutation that sorts `values` ascending, by LSD radix sort on the f64 bit patterns mapped to
 * unsigned order (four 16-bit passes), with the keys carried along. A comparator sort or a binary search
 * per value is bound by cache misses at millions of values; this is a few linear passes.
 */
function sortOrder(values: ArrayLike<number>): { order: Uint32Array; hi: Uint32Array; lo: Uint32Array } {
  const n = values.length;
  let order = new Uint32Array(n);
  let hi = new Uint32Array(n);
  let lo = new Uint32Array(n);
  const bits = new Float64Array(1);
  const words = new Uint32Array(bits.buffer);
  const [hiWord, loWord] = LITTLE_ENDIAN ? [1, 0] : [0, 1];
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    bits[0] = v === 0 ? 0 : v; // -0 and +0 are one value
    const h = words[hiWord] as number;
    const l = words[loWord] as number;
    // negative: invert every bit (larger magnitude sorts first); positive: set the sign bit
    hi[i] = h >= 0x80000000 ? ~h >>> 0 : (h | 0x80000000) >>> 0;
    lo[i] = h >= 0x80000000 ? ~l >>> 0 : l;
    order[i] = i;
  }
  let nextOrder = new Uint32Array(n);
  let nextHi = new Uint32Array(n);
  let nextLo = new Uint32Array(n);
  const counts = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const source = pass < 2 ? lo : hi;
    const shift = pass % 2 === 0 ? 0 : 16;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[((source[i] as number) >>> shift) & 0xffff]!++;
    let total = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[d] as number;
      counts[d] = total;
      total += c;
    }
    if (counts[((source[0] as number) >>> shift) & 0xffff] === 0 && total === n) {
      // one digit value for every key: this pass would not move anything
      const only = ((source[0] as number) >>> shift) & 0xffff;
      if ((only === 65535 ? n : (counts[only + 1] as number)) === n) continue;
    }
    for (let i = 0; i < n; i++) {
      const at = counts[((source[i] as number) >>> shift) & 0xffff]!++;
      nextOrder[at] = order[i] as number;
      nextHi[at] = hi[i] as number;
      nextLo[at] = lo[i] as number;
    }
    [order, nextOrder] = [nextOrder, order];
    [hi, nextHi] = [nextHi, hi];
    [lo, nextLo] = [nextLo, lo];
  }
  return { order, hi, lo };
}

/** Ranks with ties sharing their average rank (1-based), as Spearman's rho needs. */
function ranks(values: ArrayLike<number>): Float64Array {
  const { order, hi, lo } = sortOrder(values);
  const out = new Float64Array(values.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && hi[end] === hi[start] && lo[end] === lo[start]) end++;
    // sorted positions start..end-1 hold one value: 1-based ranks start+1..end, averaged
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) out[order[k] as number] = rank;
    start = end;
  }
  return out;
}

function hasNaN(xs: ArrayLike<number>): boolean {
  for (let i = 0; i < xs.length; i++) if (Number.isNaN(xs[i])) return true;
  return false;
}

/**
 * Spearman rank correlation of two equally long series: Pearson correlation of their ranks.
 * NaN anywhere gives NaN; a constant series gives 1 when both are constant, else 0.
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`spearman needs equal lengths, got ${a.length} and ${b.length}`);
  if (hasNaN(a) || hasNaN(b)) return NaN;
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (a.length + 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    const x = (ra[i] as number) - mean;
    const y = (rb[i] as number) - mean;
    num += x * y;
    da += x * x;
    db += y * y;
  }
  if (da === 0 || db === 0) return da === db ? 1 : 0;
  return num / Math.sqrt(da * db);
}
