/** A read-only view of little-endian f32 bytes; copies only when the bytes are misaligned. */
export function f32View(bytes: Uint8Array): Float32Array {
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return new Float32Array(bytes.slice().buffer);
}

/** A read-only view of little-endian i64 bytes; copies only when the bytes are misaligned. */
export function i64View(bytes: Uint8Array): BigInt64Array {
  if (bytes.byteOffset % 8 === 0) return new BigInt64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  return new BigInt64Array(bytes.slice().buffer);
}

export const fmtShape = (s: readonly number[]): string => `[${s.join(', ')}]`;
