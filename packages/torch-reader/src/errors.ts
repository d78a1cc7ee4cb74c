/** Why a checkpoint could not be read; `code` is stable for callers, `exitCode` 2 marks bad input. */
export type TorchReaderErrorCode =
  | 'E_FORMAT' // not a checkpoint we recognise (magic, signatures)
  | 'E_TRUNCATED' // a record points past the end of the file
  | 'E_ZIP' // malformed or unsupported zip structure
  | 'E_PICKLE' // malformed pickle stream
  | 'E_UNSAFE' // a global outside the allow-list
  | 'E_LIMIT' // memo, depth, or allocation bound exceeded
  | 'E_TENSOR' // a tensor record that does not fit its storage or dtype
  | 'E_IO' // the file could not be opened or read
  | 'E_RANGE'; // a caller asked for bytes outside a tensor

/** Messages quote names taken from hostile files: keep them to one printable line of bounded length. */
function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > 2000 ? `${clean.slice(0, 2000)}…` : clean;
}

export class TorchReaderError extends Error {
  readonly code: TorchReaderErrorCode;
  readonly exitCode = 2 as const;
  constructor(code: TorchReaderErrorCode, message: string) {
    super(oneLine(message));
    this.name = 'TorchReaderError';
    this.code = code;
  }
}

/** A pickle ran past the bytes it was given; `needBytes` says how many it needs, when known. */
export class PickleTruncatedError extends TorchReaderError {
  constructor(
    message: string,
    readonly needBytes: number | null,
  ) {
    super('E_TRUNCATED', message);
  }
}
