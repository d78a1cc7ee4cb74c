import { DEFAULT_BLOCK_ELEMENTS, productBlocks } from './block-products.js';
import { quantiles } from './extent.js';
import type { EmbeddingSet } from './reference.js';
import { spearman } from './spearman.js';

/** Up to this many samples the full logit matrices are kept (for the report's heatmaps and the JSON). */
export const MATRIX_MAX_N = 64;
/** Spearman ranks every pair up to this many (n <= 2048), else an evenly strided sample of this size. */
export const SPEARMAN_MAX_PAIRS = 2 ** 22;
/** Quantiles of |Δ cos-sim| reported (over the ranked pairs). */
export const DIFF_QUANTILES = [0.5, 0.9, 0.99, 0.999] as const;

/**
 * Counts of |Δ cos-sim| over every pair, binned by power of two: counts[k] holds values in
 * [2^(log2Min+k), 2^(log2Min+k+1)); the first bin also holds smaller nonzero values.
 */
export interface DifferenceHistogram {
  log2Min: number;
  counts: number[];
  zero: number;
  nonFinite: number;
}

export interface SimilarityMetrics {
  /** exp(logit_scale) as applied, and the bias (0 when the model has none). */
  scale: number;
  bias: number;
  /**
   * [image][text] logits: scale * cos(image_i, text_j) + bias, of the reference and the candidate, and
   * candidate - reference. Kept only up to MATRIX_MAX_N samples (null above: n^2 numbers do not fit).
   */
  reference: number[][] | null;
  candidate: number[][] | null;
  difference: number[][] | null;
  /** n^2 image-text pairs; every metric but Spearman and the quantiles covers all of them. */
  pairs: number;
  /** Pairs Spearman ranks: all of them up to SPEARMAN_MAX_PAIRS, else every (pairs/this)-th in row-major order. */
  spearmanPairs: number;
  /**
   * Fraction of images whose best text is the same, and of texts whose best image is the same, and
   * Spearman's rho between the flattened matrices: all up to ties (see `tieTolerance`).
   */
  argmaxImageToText: number;
  argmaxTextToImage: number;
  spearman: number;
  /** The same three with every deviation counted, however small (informative; near-tied models flip). */
  raw: { argmaxImageToText: number; argmaxTextToImage: number; spearman: number };
  /** Deviations up to this many cosine units do not count as reorderings. */
  tieTolerance: number;
  maxLogitDiff: number;
  /** maxLogitDiff / scale: the worst change in cosine similarity, comparable across models. */
  maxCosSimDiff: number;
  /** |Δ cos-sim| quantiles (DIFF_QUANTILES, over the Spearman pairs) and its histogram over all pairs. */
  cosSimDiffQuantiles: Array<{ q: number; value: number }>;
  cosSimDiffHistogram: DifferenceHistogram;
}

export interface CompareSimilarityOptions {
  /** Spearman's sample size (default SPEARMAN_MAX_PAIRS). */
  maxSpearmanPairs?: number;
  /** Product elements per computed block (default DEFAULT_BLOCK_ELEMENTS). */
  blockElements?: number;
}

/** Each of the n rows of x scaled to unit L2 norm (a zero row stays zero), written into `out`. */
export function normalizeRows<T extends Float32Array | Float64Array>(
  x: Float32Array,
  n: number,
  dim: number,
  out: T,
): T {
  const inv = inverseNorms(x, n, dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) out[i * dim + j] = (x[i * dim + j] as number) * inv[i]!;
  return out;
}

/** 1/||row|| per row in f64 (0 for a zero row, so it stays zero), so logits need no normalized copy. */
function inverseNorms(x: Float32Array, n: number, dim: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = i * dim; j < (i + 1) * dim; j++) s += (x[j] as number) ** 2;
    out[i] = s > 0 ? 1 / Math.sqrt(s) : 0;
  }
  return out;
}

/** CLIP logits for every (image, text) pair, as open_clip computes them from normalized features. */
export function clipLogits(
  image: Float32Array,
  text: Float32Array,
  n: number,
  dim: number,
  scale: number,
  bias: number,
): number[][] {
  const a = normalizeRows(image, n, dim, new Float64Array(n * dim));
  const b = normalizeRows(text, n, dim, new Float64Array(n * dim));
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < dim; k++) dot += (a[i * dim + k] as number) * (b[j * dim + k] as number);
      row.push(scale * dot + bias);
    }
    out.push(row);
  }
  return out;
}

const LOG2_MIN = -40;
const LOG2_BINS = 42; // 2^-40 (1e-12) .. 2^2: |Δ cos| is at most 2

/** Best value and index per column, updated row by row with the row-wise argmax's rule (NaN wins, first max). */
class ColumnArgmax {
  readonly value: Float64Array;
  readonly index: Int32Array;
  constructor(n: number) {
    this.value = new Float64Array(n).fill(-Infinity);
    this.index = new Int32Array(n);
  }
}

/**
 * The image-text similarity of reference and candidate, and how far they agree, computed in row blocks
 * (memory stays O(n) besides one block; no n x n matrix is held above MATRIX_MAX_N samples).
 */
export async function compareSimilarity(
  ref: EmbeddingSet,
  cand: EmbeddingSet,
  n: number,
  dim: number,
  rawLogitScale: number | null,
  logitBias: number | null,
  tieTolerance = 0,
  options: CompareSimilarityOptions = {},
): Promise<SimilarityMetrics> {
  // A file without logit_scale still gets a comparable matrix: plain cosine similarity.
  const scale = rawLogitScale === null ? 1 : Math.exp(rawLogitScale);
  const bias = logitBias ?? 0;
  // Random-weight models can have logits tied to 1e-4; rounding noise then reorders them without any
  // real change. Snapping in-tolerance deviations back to the reference means only real moves reorder.
  const tol = tieTolerance * scale;
  const invRefImage = inverseNorms(ref.image, n, dim);
  const invRefText = inverseNorms(ref.text, n, dim);
  const invCandImage = inverseNorms(cand.image, n, dim);
  const invCandText = inverseNorms(cand.text, n, dim);

  const pairs = n * n;
  const stride = Math.max(1, Math.ceil(pairs / (options.maxSpearmanPairs ?? SPEARMAN_MAX_PAIRS)));
  const sampled = Math.ceil(pairs / stride);
  const sampleRef = new Float64Array(sampled);
  const sampleSnapped = new Float64Array(sampled);
  const sampleRaw = new Float64Array(sampled);
  let nextPair = 0;
  let taken = 0;

  const keepMatrices = n <= MATRIX_MAX_N;
  const matrices = { reference: [] as number[][], candidate: [] as number[][], difference: [] as number[][] };
  const colRef = new ColumnArgmax(n);
  const colSnapped = new ColumnArgmax(n);
  const colRaw = new ColumnArgmax(n);
  let rowsAgreeSnapped = 0;
  let rowsAgreeRaw = 0;
  let maxLogitDiff = 0;
  const histogram: DifferenceHistogram = {
    log2Min: LOG2_MIN,
    counts: new Array<number>(LOG2_BINS).fill(0),
    zero: 0,
    nonFinite: 0,
  };
  const binCounts = new Float64Array(LOG2_BINS);
  // The exponent bits of |Δ cos| give its power-of-two bin without a log per pair.
  const bits = new Float64Array(1);
  const bitsHigh = new Uint32Array(bits.buffer);
  const highWord = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

  for await (const block of productBlocks(ref, cand, n, dim, options.blockElements ?? DEFAULT_BLOCK_ELEMENTS)) {
    const { reference: refDots, candidate: candDots } = block;
    for (let r = 0; r < block.rows; r++) {
      const i = block.start + r;
      const refRowScale = scale * (invRefImage[i] as number);
      const candRowScale = scale * (invCandImage[i] as number);
      const offset = r * n;
      let bestRef = -Infinity;
      let bestRefAt = 0;
      let bestSnapped = -Infinity;
      let bestSnappedAt = 0;
      let bestRaw = -Infinity;
      let bestRawAt = 0;
      const rowStart = i * n;
      const rowRef = keepMatrices ? new Array<number>(n) : null;
      const rowCand = keepMatrices ? new Array<number>(n) : null;
      for (let j = 0; j < n; j++) {
        const refLogit = (refDots[offset + j] as number) * refRowScale * (invRefText[j] as number) + bias;
        const candLogit = (candDots[offset + j] as number) * candRowScale * (invCandText[j] as number) + bias;
        const diff = Math.abs(candLogit - refLogit);
        if (!Number.isNaN(maxLogitDiff) && (Number.isNaN(diff) || diff > maxLogitDiff)) maxLogitDiff = diff;
        const snapped = diff <= tol ? refLogit : candLogit;
        if (refLogit > bestRef || Number.isNaN(refLogit)) {
          bestRef = refLogit;
          bestRefAt = j;
        }
        if (snapped > bestSnapped || Number.isNaN(snapped)) {
          bestSnapped = snapped;
          bestSnappedAt = j;
        }
        if (candLogit > bestRaw || Number.isNaN(candLogit)) {
          bestRaw = candLogit;
          bestRawAt = j;
        }
        if (refLogit > colRef.value[j]! || Number.isNaN(refLogit)) {
          colRef.value[j] = refLogit;
          colRef.index[j] = i;
        }
        if (snapped > colSnapped.value[j]! || Number.isNaN(snapped)) {
          colSnapped.value[j] = snapped;
          colSnapped.index[j] = i;
        }
        if (candLogit > colRaw.value[j]! || Number.isNaN(candLogit)) {
          colRaw.value[j] = candLogit;
          colRaw.index[j] = i;
        }
        const cosDiff = diff / scale;
        bits[0] = cosDiff;
        const exponent = ((bitsHigh[highWord]! >>> 20) & 0x7ff) - 1023;
        if (exponent === 1024) histogram.nonFinite++;
        else if (cosDiff === 0) histogram.zero++;
        else {
          const bin = exponent - LOG2_MIN;
          const at = bin < 0 ? 0 : bin >= LOG2_BINS ? LOG2_BINS - 1 : bin;
          binCounts[at] = binCounts[at]! + 1;
        }
        if (rowStart + j === nextPair) {
          sampleRef[taken] = refLogit;
          sampleSnapped[taken] = snapped;
          sampleRaw[taken] = candLogit;
          taken++;
          nextPair += stride;
        }
        if (rowRef && rowCand) {
          rowRef[j] = refLogit;
          rowCand[j] = candLogit;
        }
      }
      if (bestRefAt === bestSnappedAt) rowsAgreeSnapped++;
      if (bestRefAt === bestRawAt) rowsAgreeRaw++;
      if (rowRef && rowCand) {
        matrices.reference.push(rowRef);
        matrices.candidate.push(rowCand);
        matrices.difference.push(rowCand.map((v, j) => v - (rowRef[j] as number)));
      }
    }
  }
  histogram.counts = [...binCounts];
  let colsAgreeSnapped = 0;
  let colsAgreeRaw = 0;
  for (let j = 0; j < n; j++) {
    if (colRef.index[j] === colSnapped.index[j]) colsAgreeSnapped++;
    if (colRef.index[j] === colRaw.index[j]) colsAgreeRaw++;
  }
  const agreement = (count: number): number => (n ? count / n : 1);
  const cosDiffs = sampleRaw.map((v, k) => Math.abs(v - (sampleRef[k] as number)) / scale);
  return {
    scale,
    bias,
    reference: keepMatrices ? matrices.reference : null,
    candidate: keepMatrices ? matrices.candidate : null,
    difference: keepMatrices ? matrices.difference : null,
    pairs,
    spearmanPairs: sampled,
    argmaxImageToText: agreement(rowsAgreeSnapped),
    argmaxTextToImage: agreement(colsAgreeSnapped),
    spearman: spearman(sampleRef, sampleSnapped),
    raw: {
      argmaxImageToText: agreement(rowsAgreeRaw),
      argmaxTextToImage: agreement(colsAgreeRaw),
      spearman: spearman(sampleRef, sampleRaw),
    },
    tieTolerance,
    maxLogitDiff,
    maxCosSimDiff: maxLogitDiff / scale,
    cosSimDiffQuantiles: quantiles(cosDiffs, DIFF_QUANTILES).map((value, k) => ({ q: DIFF_QUANTILES[k]!, value })),
    cosSimDiffHistogram: histogram,
  };
}
