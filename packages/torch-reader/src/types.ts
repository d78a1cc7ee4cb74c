// Local copies of @cliphub/safetensors' shapes, kept identical, until that package exports them.
export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface TensorSource {
  name: string;
  dtype: DType;
  shape: number[];
  chunks(): AsyncIterable<Uint8Array>;
}
