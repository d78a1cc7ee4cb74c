export { exportOnnx, SUPPORTED_OPSETS, DEFAULT_EXTERNAL_THRESHOLD } from './export-onnx.js';
export { towerSupport } from './tower-support.js';
export { knownHfConfig } from './hf-configs.js';
export { weightSourceFromSafetensors, type SafetensorsLike } from './weight-source.js';
export { OnnxExportError } from './errors.js';
export type {
  Activation,
  DType,
  ExportDType,
  ExportOptions,
  ExportResult,
  IoSpec,
  ModelCfg,
  Tower,
  SpanCopy,
  TowerExport,
  WeightSource,
} from './types.js';
