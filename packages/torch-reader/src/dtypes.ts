import { DTYPE_BYTES } from '@cliphub/core';
import type { DType } from './types.js';

// Storage class names (zip and legacy persistent ids) and torch dtype names (`_rebuild_tensor_v3`).
const BY_NAME: Record<string, DType> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
  float64: 'F64',
  double: 'F64',
  float32: 'F32',
  float: 'F32',
  float16: 'F16',
  half: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  long: 'I64',
  int32: 'I32',
  int: 'I32',
  int16: 'I16',
  short: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

/** The safetensors dtype for a torch storage class or dtype name, or null when cliphub has none. */
export function dtypeFromTorchName(name: string): DType | null {
  return Object.hasOwn(BY_NAME, name) ? (BY_NAME[name] as DType) : null;
}

export function dtypeSize(dtype: DType): number {
  return DTYPE_BYTES[dtype];
}

// Element sizes of storage types cliphub does not convert but must step over (legacy files lay
// every storage out back to back, optimizer states included).
const OTHER_SIZES: Record<string, number> = {
  ComplexFloatStorage: 8,
  ComplexDoubleStorage: 16,
  QInt8Storage: 1,
  QUInt8Storage: 1,
  QInt32Storage: 4,
  QUInt4x2Storage: 1,
  QUInt2x4Storage: 1,
  UntypedStorage: 1,
  complex64: 8,
  complex128: 16,
  cfloat: 8,
  cdouble: 16,
  uint16: 2,
  uint32: 4,
  uint64: 8,
  float8_e4m3fn: 1,
  float8_e5m2: 1,
  float8_e4m3fnuz: 1,
  float8_e5m2fnuz: 1,
};

/** Bytes per element of any torch storage class or dtype name, or null when unknown. */
export function storageItemSize(name: string): number | null {
  const d = dtypeFromTorchName(name);
  if (d) return DTYPE_BYTES[d];
  return Object.hasOwn(OTHER_SIZES, name) ? (OTHER_SIZES[name] as number) : null;
}
