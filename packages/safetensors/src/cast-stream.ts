import { castFloats } from './cast.js';
import { DTYPE_BYTES, type DType } from './dtype.js';
import { SafetensorsError } from './errors.js';

/**
 * Casts a stream of float chunks whose boundaries may split elements: the split bytes wait for the next
 * chunk. Throws BAD_CAST if the stream ends inside an element.
 */
export async function* castChunks(
  chunks: AsyncIterable<Uint8Array>,
  from: DType,
  to: DType,
): AsyncGenerator<Uint8Array> {
  const elem = DTYPE_BYTES[from];
  let carry = new Uint8Array(0);
  for await (const chunk of chunks) {
    let body = chunk;
    if (carry.length > 0) {
      body = new Uint8Array(carry.length + chunk.length);
      body.set(carry);
      body.set(chunk, carry.length);
    }
    const whole = body.length - (body.length % elem);
    carry = body.slice(whole);
    if (whole > 0) yield castFloats(body.subarray(0, whole), from, to);
  }
  if (carry.length > 0) {
    throw new SafetensorsError(
      'BAD_CAST',
      `a ${from} stream ended ${carry.length} bytes into an element; its source is truncated`,
    );
  }
}
