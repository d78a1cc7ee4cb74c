export { ValidateError, type ValidateErrorCode } from './errors.js';
export {
  readReference,
  embeddingSet,
  TOWERS,
  type Reference,
  type EmbeddingSet,
  type ReferenceMetadata,
  type Tower,
} from './reference.js';
export { compareTower, type TowerMetrics, type SampleMetrics } from './metrics.js';
export {
  compareSimilarity,
  clipLogits,
  MATRIX_MAX_N,
  SPEARMAN_MAX_PAIRS,
  type CompareSimilarityOptions,
  type DifferenceHistogram,
  type SimilarityMetrics,
} from './similarity.js';
export { DEFAULT_BLOCK_ELEMENTS } from './block-products.js';
export { spearman } from './spearman.js';
export {
  DEFAULT_PROFILES,
  PRECISIONS,
  THRESHOLD_KEYS,
  loadProfileOverrides,
  parseProfileOverrides,
  resolveProfile,
  type Precision,
  type Profile,
  type ProfileOverrides,
  type Thresholds,
} from './profiles.js';
export { runChecks, type Check } from './checks.js';
export { diagnose, type Diagnosis, type DiagnosisContext, type DiagnosisKind } from './diagnose.js';
export {
  loadArtifact,
  precisionOf,
  type Candidate,
  type ArtifactKind,
  type CheckpointExporter,
  type LoadArtifactOptions,
} from './artifact.js';
export { validateArtifact, type ValidateOptions, type ValidationResult } from './validate.js';
export {
  toBaseline,
  compareToBaseline,
  readBaseline,
  writeBaseline,
  DEFAULT_SLACK,
  type Baseline,
  type Regression,
  type RegressionSlack,
} from './baseline.js';
export {
  loadSuite,
  runSuite,
  mapBounded,
  type Suite,
  type SuiteRow,
  type SuiteResult,
  type RunSuiteOptions,
} from './suite.js';
export { toJunitXml } from './junit.js';
export { toHtmlReport } from './html-report.js';
export { toJson, type JsonReport } from './json-report.js';
export { writeReports, type ReportInputs } from './write-reports.js';
export { summaryTable } from './summary-table.js';
export { checkpointExporter, type CheckpointExportOptions } from './checkpoint-export.js';
