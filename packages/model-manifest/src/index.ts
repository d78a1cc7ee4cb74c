export { ManifestError, type ManifestErrorCode } from './errors.js';
export {
  MANIFEST_FILE,
  readManifest,
  writeManifest,
  validateManifest,
  type CliphubManifest,
  type ManifestModelCfg,
  type ManifestPreprocessCfg,
  type ManifestTokenizer,
  type TensorSpec,
  type TowerManifest,
  type TowerName,
} from './manifest.js';
export {
  manifestFromExport,
  resolvePreprocessCfg,
  type ExportSummary,
  type ManifestFromExportArgs,
} from './manifest-from-export.js';
