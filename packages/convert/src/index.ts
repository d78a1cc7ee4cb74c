export { ConvertError } from './errors.js';
export {
  inferModelCfg,
  type Inference,
  type InferredModelCfg,
  type ModuleAttributes,
  type ShapeInfo,
} from './infer-model-cfg.js';
export { locateCheckpoint, type LocatedCheckpoint } from './locate-checkpoint.js';
export {
  openWeights,
  toTensorSource,
  type OpenedWeights,
  type WeightTensor,
  type WeightsFormat,
} from './open-weights.js';
export { chooseConfig, type ActivationFlag, type ConfigChoice, type OpenClipPreprocessCfg } from './choose-config.js';
export {
  convertToSafetensors,
  CONFIG_NAME,
  SAFETENSORS_NAME,
  type ConvertOptions,
  type ConvertReport,
  type OutputDtype,
} from './convert-to-safetensors.js';
export { convertToOnnx, MANIFEST_FILE, type OnnxConvertOptions, type OnnxConvertReport } from './convert-to-onnx.js';
export { weightSourceFromOpened } from './weight-source.js';
export { locateInput, type LocatedInput } from './locate-input.js';
export { openSource, type OpenedSource, type SourceOptions } from './open-source.js';
