export { CliphubError, isCliphubError, type ExitCode } from './errors.js';
export { writeFileAtomic, fsyncDir } from './atomic-write.js';
export { DTYPE_BYTES, isDType, isFloatDType, type DType, type FloatDType } from './dtype.js';
export type { Activation, ModelCfg, PreprocessCfg, Tower } from './model-cfg.js';
