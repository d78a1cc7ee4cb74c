// The tensor vocabulary is shared with the safetensors writer, so a TorchTensor can be written as is.
export type { DType, TensorSource } from '@cliphub/safetensors';
