import { CliphubError } from '@cliphub/core';

export type OnnxExportErrorCode =
  | 'UNSUPPORTED_TOWER'
  | 'WEIGHTS_MISMATCH'
  | 'BAD_DTYPE'
  | 'BAD_OPSET'
  | 'BAD_OPTION'
  | 'BAD_CONFIG'
  | 'HF_CONFIG_UNKNOWN';

/** Bad input to the exporter (unsupported tower, mismatched weights, bad options): exit code 2. */
export class OnnxExportError extends CliphubError<OnnxExportErrorCode> {
  override name = 'OnnxExportError';
  constructor(code: OnnxExportErrorCode, message: string) {
    super(code, message);
  }
}
