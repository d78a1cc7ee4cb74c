import { CliphubError } from '@cliphub/core';

/** Every way a safetensors file or a write request can be wrong; stable for callers and tests. */
export type SafetensorsErrorCode =
  | 'NOT_FOUND'
  | 'IO_ERROR'
  | 'HEADER_TOO_SMALL'
  | 'HEADER_TOO_LARGE'
  | 'HEADER_PAST_EOF'
  | 'HEADER_INCOMPLETE'
  | 'INVALID_UTF8'
  | 'INVALID_JSON'
  | 'JSON_TOO_DEEP'
  | 'DUPLICATE_KEY'
  | 'HEADER_NOT_OBJECT'
  | 'BAD_METADATA'
  | 'BAD_TENSOR_ENTRY'
  | 'BAD_DTYPE'
  | 'UNSUPPORTED_DTYPE'
  | 'BAD_SHAPE'
  | 'BAD_OFFSETS'
  | 'OFFSET_GAP'
  | 'OFFSET_OVERLAP'
  | 'BYTE_LENGTH_MISMATCH'
  | 'TRUNCATED'
  | 'TRAILING_BYTES'
  | 'TENSOR_NOT_FOUND'
  | 'FILE_CHANGED'
  | 'BAD_NAME'
  | 'DUPLICATE_NAME'
  | 'SOURCE_LENGTH'
  | 'BAD_CAST'
  | 'BAD_OPTIONS';

/** Bad input (a malformed file, a wrong write request): exit code 2, a one-line message saying what to do. */
export class SafetensorsError extends CliphubError<SafetensorsErrorCode> {
  override name = 'SafetensorsError';
}

/** Wraps a Node I/O failure on `path` as a SafetensorsError (missing files are the common case). */
export function ioError(err: unknown, path: string, doing: string): SafetensorsError {
  if (err instanceof SafetensorsError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT')
    return new SafetensorsError('NOT_FOUND', `${path}: no such file; check the path`, { cause: err });
  if (code === 'EISDIR')
    return new SafetensorsError('NOT_FOUND', `${path} is a directory; pass a .safetensors file`, { cause: err });
  const msg = err instanceof Error ? err.message : String(err);
  return new SafetensorsError('IO_ERROR', `${path}: ${doing} failed (${msg}); check permissions and free space`, {
    cause: err,
  });
}
