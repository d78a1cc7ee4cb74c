export { CliphubError, isCliphubError, type ExitCode } from './errors.js';
export { writeFileAtomic, fsyncDir } from './atomic-write.js';
export { DTYPE_BYTES, isDType, isFloatDType, type DType, type FloatDType } from './dtype.js';
export type { Activation, ModelCfg, PreprocessCfg, Tower } from './model-cfg.js';
export { f32BitsToBf16, f32BitsToF16, float16BitsTable, float16ToFloat32, float32ToFloat16 } from './float16.js';
export { gitBlobOid } from './git-blob-oid.js';
export { fileSha256 } from './file-sha256.js';
export { compareRows, rowDeviation, type RowDeviation, type RowsComparison } from './compare-rows.js';
export { MAX_CONFIG_FILE_BYTES, readSmallTextFile, type SmallFileErrorCode } from './read-small-file.js';
