/** Bad input to the exporter (unsupported tower, mismatched weights, bad options): exit code 2. */
export class OnnxExportError extends Error {
  readonly exitCode = 2 as const;
  constructor(
    readonly code:
      | 'unsupported_tower'
      | 'weights_mismatch'
      | 'bad_dtype'
      | 'bad_opset'
      | 'bad_option'
      | 'bad_config',
    message: string,
  ) {
    super(message);
    this.name = 'OnnxExportError';
  }
}
