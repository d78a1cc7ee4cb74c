import { describe, expect, it } from 'vitest';
import { castChunks } from './cast-stream.js';
import { castFloats } from './cast.js';
import { SafetensorsError } from './errors.js';

async function* pieces(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let k = 0; at < bytes.length; k++) {
    const n = sizes[k % sizes.length]!;
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}

describe('castChunks', () => {
  const f64 = new Uint8Array(new Float64Array([0.1, -1 / 3, 1e-310, 65519.99, 1e300, -0, 2 ** -25, 3.5]).buffer);

  it('gives the same bytes as one whole cast, whatever the chunk boundaries', async () => {
    for (const to of ['F32', 'F16', 'BF16'] as const) {
      const whole = castFloats(f64, 'F64', to);
      for (const sizes of [[1], [3, 5], [7, 1, 13], [64]]) {
        expect(await collect(castChunks(pieces(f64, sizes), 'F64', to))).toEqual(whole);
      }
    }
  });

  it('refuses a stream that ends inside an element', async () => {
    await expect(collect(castChunks(pieces(f64.subarray(0, 13), [5]), 'F64', 'F32'))).rejects.toBeInstanceOf(
      SafetensorsError,
    );
  });
});
