/** The tensor element types cliphub reads and writes (safetensors names). */
export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export type FloatDType = 'F64' | 'F32' | 'F16' | 'BF16';

/** Bytes per element. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, value);
}

export function isFloatDType(value: DType): value is FloatDType {
  return value === 'F64' || value === 'F32' || value === 'F16' || value === 'BF16';
}
