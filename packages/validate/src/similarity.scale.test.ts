import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasOracle, oraclePython, repoRoot, tempDir } from '#test-support';
import { toHtmlReport } from './html-report.js';
import { toJson } from './json-report.js';
import { toJunitXml } from './junit.js';
import { embeddingSet, readReference } from './reference.js';
import { DEFAULT_BLOCK_ELEMENTS } from './block-products.js';
import { compareSimilarity, SPEARMAN_MAX_PAIRS, type SimilarityMetrics } from './similarity.js';
import { validateArtifact, type ValidationResult } from './validate.js';

const N = 2000;
const DIM = 256;
const script = path.join(repoRoot, 'tools/bench/validate_numpy.py');
if (!hasOracle)
  console.warn('SKIPPED (validate at N = 2,000 vs numpy): the oracle venv is missing; run npm run oracle');

type NumpyMetrics = {
  seconds: number;
  similarity: Omit<SimilarityMetrics, 'scale' | 'bias' | 'reference' | 'candidate' | 'difference' | 'tieTolerance'>;
  towers: Record<'image' | 'text', { minCosine: number; maxRelL2: number; maxAbsRel: number; meanCosine: number }>;
  samples: Record<'image' | 'text', { cosine: number[]; relL2: number[] }>;
};

function numpyMetrics(dir: string, tie: number, maxPairs: number, blockElements: number): NumpyMetrics {
  const out = path.join(dir, `numpy-${maxPairs}.json`);
  execFileSync(
    oraclePython,
    [script, 'metrics', ...['reference', 'candidate'].map((f) => path.join(dir, `${f}.safetensors`))].concat([
      'cand_fp32',
      out,
      String(tie),
      String(maxPairs),
      String(blockElements),
    ]),
    { stdio: 'pipe' },
  );
  return JSON.parse(readFileSync(out, 'utf8')) as NumpyMetrics;
}

/** Both compute f32 products (MLAS vs BLAS): sums in another order differ by f32 rounding, no more. */
function expectSameSimilarity(ours: SimilarityMetrics, theirs: NumpyMetrics['similarity']): void {
  expect(ours.pairs).toBe(theirs.pairs);
  expect(ours.spearmanPairs).toBe(theirs.spearmanPairs);
  expect(ours.argmaxImageToText).toBe(theirs.argmaxImageToText);
  expect(ours.argmaxTextToImage).toBe(theirs.argmaxTextToImage);
  expect(ours.raw.argmaxImageToText).toBe(theirs.raw.argmaxImageToText);
  expect(ours.raw.argmaxTextToImage).toBe(theirs.raw.argmaxTextToImage);
  expect(ours.spearman).toBeCloseTo(theirs.spearman, 7);
  expect(ours.raw.spearman).toBeCloseTo(theirs.raw.spearman, 7);
  expect(Math.abs(ours.maxCosSimDiff - theirs.maxCosSimDiff)).toBeLessThan(2e-6);
  ours.cosSimDiffQuantiles.forEach((q, k) => {
    expect(q.q).toBe(theirs.cosSimDiffQuantiles[k]?.q);
    expect(Math.abs(q.value - (theirs.cosSimDiffQuantiles[k]?.value as number))).toBeLessThan(2e-6);
  });
  // A pair near a power of two may land one bin over; the totals and the shape must agree.
  const total = (h: SimilarityMetrics['cosSimDiffHistogram']): number =>
    h.counts.reduce((a, b) => a + b, 0) + h.zero + h.nonFinite;
  expect(total(ours.cosSimDiffHistogram)).toBe(ours.pairs);
  expect(total(theirs.cosSimDiffHistogram)).toBe(ours.pairs);
  const moved = ours.cosSimDiffHistogram.counts.reduce(
    (a, c, k) => a + Math.abs(c - (theirs.cosSimDiffHistogram.counts[k] as number)),
    0,
  );
  expect(moved / ours.pairs).toBeLessThan(1e-3);
}

// A few seconds alone; generous because CI machines are shared.
describe.skipIf(!hasOracle)(`validate at N = ${N}, D = ${DIM} against numpy`, { timeout: 300_000 }, () => {
  const tmp = tempDir('cliphub-validate-scale-');
  let result: ValidationResult;
  beforeAll(() => {
    execFileSync(oraclePython, [script, 'make', tmp.dir, String(N), String(DIM), '7', '3e-3'], { stdio: 'pipe' });
  });
  afterAll(() => tmp.cleanup());

  it('gives numpy’s tower metrics, argmax agreement, Spearman over all 4,000,000 pairs and histogram', async () => {
    result = await validateArtifact({
      artifact: `${path.join(tmp.dir, 'candidate.safetensors')}#cand_fp32`,
      reference: path.join(tmp.dir, 'reference.safetensors'),
    });
    const theirs = numpyMetrics(tmp.dir, result.profile.maxCosSimDiff, SPEARMAN_MAX_PAIRS, DEFAULT_BLOCK_ELEMENTS);
    const sim = result.similarity as SimilarityMetrics;
    expect(sim.spearmanPairs).toBe(N * N);
    expect(sim.reference).toBeNull(); // no n x n matrix held or reported at this size
    expectSameSimilarity(sim, theirs.similarity);
    for (const tower of result.towers) {
      const np = theirs.towers[tower.tower];
      expect(tower.samples).toHaveLength(N);
      expect(tower.minCosine).toBeCloseTo(np.minCosine, 10);
      expect(tower.meanCosine).toBeCloseTo(np.meanCosine, 10);
      expect(tower.maxRelL2 / np.maxRelL2).toBeCloseTo(1, 9);
      expect(tower.maxAbsRel / np.maxAbsRel).toBeCloseTo(1, 9);
      theirs.samples[tower.tower].cosine.forEach((c, i) => expect(tower.samples[i]?.cosine).toBeCloseTo(c, 10));
    }
    // noise of relL2 3e-3 fails fp32 on every sample, evenly: the diagnosis runs on all 2,000
    expect(result.verdict).toBe('fail');
    expect(result.diagnosis.map((d) => d.tower).sort()).toEqual(['image', 'text']);
  });

  it('samples Spearman’s pairs evenly and keeps every other metric exact across many row blocks', async () => {
    const ref = await readReference(path.join(tmp.dir, 'reference.safetensors'));
    const cand = await readReference(path.join(tmp.dir, 'candidate.safetensors'), { requireInputs: false });
    const blockElements = 150 * N + 7; // 150 rows a block, the last one short
    const ours = await compareSimilarity(
      embeddingSet(ref, 'cpu_fp32'),
      embeddingSet(cand, 'cand_fp32'),
      N,
      DIM,
      ref.logitScale,
      ref.logitBias,
      1e-4,
      { maxSpearmanPairs: 100_003, blockElements },
    );
    expect(ours.spearmanPairs).toBeLessThanOrEqual(100_003);
    expect(ours.spearmanPairs).toBeGreaterThan(90_000);
    expectSameSimilarity(ours, numpyMetrics(tmp.dir, 1e-4, 100_003, blockElements).similarity);
  });

  it('reports summarise N = 2,000 with quantiles and a histogram: no heatmap, JSON and JUnit complete', () => {
    const html = toHtmlReport([result]);
    expect(html).not.toContain('class="chart heatmap"');
    expect(html).toContain('class="chart histogram similarity"');
    expect(html).toContain('<table class="quantiles">');
    expect(html.length).toBeLessThan(200_000);
    const json = JSON.parse(JSON.stringify(toJson({ results: [result] }))) as { results: ValidationResult[] };
    expect(json.results[0]?.towers[0]?.samples).toHaveLength(N);
    expect(json.results[0]?.similarity?.cosSimDiffHistogram.counts).toHaveLength(42);
    expect(toJunitXml([result])).toContain('failures="3"');
  });
});
