// The shared test hub lives in test/support, for other packages' tests too.
export { TOKENS, startTestHub, type TestHub } from '#test-support/hub.js';

/** Deterministic pseudo-random bytes (cheap, not all zeros, so hashing mistakes show). */
export function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}
