// The dtype names and sizes are shared with the other packages; their one home is @cliphub/core.
export { DTYPE_BYTES, isDType, isFloatDType, type DType, type FloatDType } from '@cliphub/core';

/** Valid in the safetensors format but not handled by cliphub (reported as unsupported, not as garbage). */
export const OTHER_SAFETENSORS_DTYPES: readonly string[] = [
  'U16',
  'U32',
  'U64',
  'F8_E5M2',
  'F8_E4M3',
  'F8_E8M0',
  'F4',
  'F6_E2M3',
  'F6_E3M2',
  'C64',
];
