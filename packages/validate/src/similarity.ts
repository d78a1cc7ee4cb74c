import { spearman } from './spearman.js';

export interface SimilarityMetrics {
  /** exp(logit_scale) as applied, and the bias (0 when the model has none). */
  scale: number;
  bias: number;
  /** [image][text] logits: scale * cos(image_i, text_j) + bias. */
  reference: number[][];
  candidate: number[][];
  /** candidate - reference. */
  difference: number[][];
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
}

/** Each of the n rows of x scaled to unit L2 norm (a zero row stays zero), written into `out`. */
export function normalizeRows<T extends Float32Array | Float64Array>(
  x: Float32Array,
  n: number,
  dim: number,
  out: T,
): T {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += (x[i * dim + j] as number) ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < dim; j++) out[i * dim + j] = (x[i * dim + j] as number) * inv;
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

function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if ((xs[i] as number) > (xs[best] as number) || Number.isNaN(xs[i])) best = i;
  return best;
}

function agreement(ref: number[][], cand: number[][], byColumn: boolean): number {
  const n = ref.length;
  if (!n) return 1;
  const pick = (m: number[][], k: number): number[] => (byColumn ? m.map((r) => r[k] as number) : (m[k] as number[]));
  let same = 0;
  for (let k = 0; k < n; k++) if (argmax(pick(ref, k)) === argmax(pick(cand, k))) same++;
  return same / n;
}

/** The image-text similarity matrices of reference and candidate, and how far they agree. */
export function compareSimilarity(
  ref: { image: Float32Array; text: Float32Array },
  cand: { image: Float32Array; text: Float32Array },
  n: number,
  dim: number,
  rawLogitScale: number | null,
  logitBias: number | null,
  tieTolerance = 0,
): SimilarityMetrics {
  // A file without logit_scale still gets a comparable matrix: plain cosine similarity.
  const scale = rawLogitScale === null ? 1 : Math.exp(rawLogitScale);
  const bias = logitBias ?? 0;
  const reference = clipLogits(ref.image, ref.text, n, dim, scale, bias);
  const candidate = clipLogits(cand.image, cand.text, n, dim, scale, bias);
  const difference = candidate.map((row, i) => row.map((v, j) => v - (reference[i]![j] as number)));
  let maxLogitDiff = 0;
  for (const row of difference)
    for (const v of row)
      if (!Number.isNaN(maxLogitDiff) && (Number.isNaN(v) || Math.abs(v) > maxLogitDiff)) maxLogitDiff = Math.abs(v);
  // Random-weight models can have logits tied to 1e-4; rounding noise then reorders them without any
  // real change. Snapping in-tolerance deviations back to the reference means only real moves reorder.
  const tol = tieTolerance * scale;
  const snapped = candidate.map((row, i) =>
    row.map((v, j) => (Math.abs(v - (reference[i]![j] as number)) <= tol ? (reference[i]![j] as number) : v)),
  );
  return {
    scale,
    bias,
    reference,
    candidate,
    difference,
    argmaxImageToText: agreement(reference, snapped, false),
    argmaxTextToImage: agreement(reference, snapped, true),
    spearman: spearman(reference.flat(), snapped.flat()),
    raw: {
      argmaxImageToText: agreement(reference, candidate, false),
      argmaxTextToImage: agreement(reference, candidate, true),
      spearman: spearman(reference.flat(), candidate.flat()),
    },
    tieTolerance,
    maxLogitDiff,
    maxCosSimDiff: maxLogitDiff / scale,
  };
}
