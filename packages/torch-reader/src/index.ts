export { TorchReaderError, type TorchReaderErrorCode } from './errors.js';
export type { DType, TensorSource } from './types.js';
export type { PyValue, PyDict, PyTuple, PySet, PyObject, PyGlobal, PyStorage, PyTensor } from './pyvalue.js';
export { isDict, isObject, isTensor, isTuple } from './pyvalue.js';
export { unpickle, unpickleAt, type UnpickleOptions, type UnpickleResult } from './unpickle.js';
export { isAllowedGlobal } from './allowlist.js';
export { dtypeFromTorchName, dtypeSize } from './dtypes.js';
export { CHUNK_BYTES, type TorchTensor } from './torch-tensor.js';
export { unwrapStateDict, type UnwrappedStateDict } from './unwrap.js';
export {
  openCheckpoint,
  openCheckpointSource,
  loadPickleTree,
  type Checkpoint,
  type CheckpointFormat,
  type OpenCheckpointOptions,
} from './open-checkpoint.js';
export { memorySource, type ByteSource } from './byte-source.js';
