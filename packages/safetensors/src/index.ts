export { DTYPE_BYTES, isDType, isFloatDType, type DType, type FloatDType } from './dtype.js';
export { SafetensorsError, type SafetensorsErrorCode } from './errors.js';
export { MAX_HEADER_BYTES, parseSafetensorsHeader, type SafetensorsHeader, type TensorInfo } from './header.js';
export { readSafetensorsHeader } from './read-header.js';
export { DEFAULT_CHUNK_BYTES, openSafetensors, type SafetensorsFile } from './open.js';
export { castFloats } from './cast.js';
export { castChunks } from './cast-stream.js';
export { writeSafetensors, type TensorSource, type WriteOptions, type WriteResult } from './write.js';
export { bytesSource, fileSources } from './sources.js';
