import path from 'node:path';
import { loadArtifact, type ArtifactKind, type LoadArtifactOptions } from './artifact.js';
import { runChecks, type Check } from './checks.js';
import { diagnose, type Diagnosis } from './diagnose.js';
import { ValidateError } from './errors.js';
import { compareTower, type TowerMetrics } from './metrics.js';
import { resolveProfile, type Precision, type Profile, type ProfileOverrides } from './profiles.js';
import { embeddingSet, readReference, type Reference } from './reference.js';
import { compareSimilarity, normalizeRows, type SimilarityMetrics } from './similarity.js';

export interface ValidateOptions extends LoadArtifactOptions {
  artifact: string;
  /** Path of a reference-format file, or one already read. */
  reference: string | Reference;
  /** Which `<device>_<mode>` of the reference is the truth (default cpu_fp32). */
  against?: string;
  /** auto (from the artifact's precision) or a profile name (default auto). */
  profile?: string;
  overrides?: ProfileOverrides;
  /** A display name (default: the artifact's base name). */
  name?: string;
}

export interface ValidationResult {
  name: string;
  artifact: { spec: string; path: string; kind: ArtifactKind; label: string; precision: Precision; notes: string[] };
  reference: { path: string; against: string; modelName: string | null; n: number; embedDim: number };
  profile: Profile;
  towers: TowerMetrics[];
  similarity: SimilarityMetrics | null;
  checks: Check[];
  verdict: 'pass' | 'fail';
  diagnosis: Diagnosis[];
  seconds: number;
}

/** Compares one artifact with a reference under a tolerance profile and explains any failure. */
export async function validateArtifact(options: ValidateOptions): Promise<ValidationResult> {
  const t0 = performance.now();
  const ref = typeof options.reference === 'string' ? await readReference(options.reference) : options.reference;
  const against = options.against ?? 'cpu_fp32';
  const raw = embeddingSet(ref, against);
  const cand = await loadArtifact(options.artifact, ref, options);
  // A graph that ends in L2 normalization is compared with the normalized reference.
  const l2 = (x: Float32Array) => normalizeRows(x, ref.n, ref.embedDim, new Float32Array(x.length));
  const truth = cand.normalized ? { image: l2(raw.image), text: l2(raw.text) } : raw;
  if (cand.normalized) cand.notes.push('outputs are L2-normalized: compared with the normalized reference');
  const profile = resolveProfile(options.profile ?? 'auto', cand.precision, options.overrides);
  const towers: TowerMetrics[] = [];
  if (cand.image) towers.push(compareTower('image', truth.image, cand.image, ref.n, ref.embedDim));
  if (cand.text) towers.push(compareTower('text', truth.text, cand.text, ref.n, ref.embedDim));
  if (!towers.length) throw new ValidateError('BAD_ARTIFACT', `${options.artifact} produced no embeddings to compare`);
  const similarity =
    cand.image && cand.text
      ? await compareSimilarity(
          truth,
          { image: cand.image, text: cand.text },
          ref.n,
          ref.embedDim,
          ref.logitScale,
          ref.logitBias,
          profile.maxCosSimDiff,
        )
      : null;
  const checks = runChecks(towers, similarity, profile);
  const verdict = checks.every((c) => c.pass) ? 'pass' : 'fail';
  return {
    name: options.name ?? path.basename(options.artifact),
    artifact: {
      spec: options.artifact,
      path: cand.path,
      kind: cand.kind,
      label: cand.label,
      precision: cand.precision,
      notes: cand.notes,
    },
    reference: { path: ref.path, against, modelName: ref.metadata.modelName, n: ref.n, embedDim: ref.embedDim },
    profile,
    towers,
    similarity,
    checks,
    verdict,
    diagnosis:
      verdict === 'fail'
        ? diagnose(towers, similarity, profile, cand.precision, {
            declared: cand.activation,
            modelCfg: ref.metadata.modelCfg,
          })
        : [],
    seconds: (performance.now() - t0) / 1000,
  };
}
