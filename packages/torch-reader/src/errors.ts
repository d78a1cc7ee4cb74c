import { CliphubError } from '@cliphub/core';

/** Why a checkpoint could not be read; `code` is stable for callers, `exitCode` 2 marks bad input. */
export type TorchReaderErrorCode =
  | 'BAD_FORMAT' // not a checkpoint we recognise (magic, signatures)
  | 'TRUNCATED' // a record points past the end of the file
  | 'BAD_ZIP' // malformed or unsupported zip structure
  | 'BAD_PICKLE' // malformed pickle stream
  | 'UNSAFE_GLOBAL' // a global outside the allow-list
  | 'LIMIT_EXCEEDED' // memo, depth, or allocation bound exceeded
  | 'BAD_TENSOR' // a tensor record that does not fit its storage or dtype
  | 'OVERLAPPING_VIEW' // a stride-0 or overlapping view: written out, it would be larger than its storage
  | 'SHARED_STORAGE' // tensors sharing storages would be copied into far more bytes than the file holds
  | 'IO_ERROR' // the file could not be opened or read
  | 'OUT_OF_RANGE'; // a caller asked for bytes outside a tensor

/** Messages quote names taken from hostile files: keep them to one printable line of bounded length. */
function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > 2000 ? `${clean.slice(0, 2000)}…` : clean;
}

export class TorchReaderError extends CliphubError<TorchReaderErrorCode> {
  override name = 'TorchReaderError';
  constructor(code: TorchReaderErrorCode, message: string) {
    super(code, oneLine(message));
  }
}

/** A pickle ran past the bytes it was given; `needBytes` says how many it needs, when known. */
export class PickleTruncatedError extends TorchReaderError {
  constructor(
    message: string,
    readonly needBytes: number | null,
  ) {
    super('TRUNCATED', message);
  }
}
