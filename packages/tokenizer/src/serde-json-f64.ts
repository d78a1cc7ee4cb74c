// Correctly rounded powers of ten, as serde_json's POW10 table (1e0..1e308).
const POW10 = Array.from({ length: 309 }, (_, k) => Number(`1e${k}`));

/**
 * The f64 that Rust's serde_json (default features, no `float_roundtrip`) reads for the JSON number that
 * `x` was written as. tokenizers loads tokenizer.json that way: it takes the decimal digits as a u64, rounds
 * that to f64 and then multiplies or divides by 10^exponent, two roundings that leave about one 17-digit score
 * in six a unit in the last place off the exact value `JSON.parse` gives. Unigram near-ties turn on that bit.
 *
 * The text is recovered as serde_json (ryu) and Python's `json` write `x`: its shortest round-trip digits, whole numbers
 * below 1e16 with '.0', larger ones in exponent form. A file written otherwise (say 17 fixed digits) would need its
 * source text instead.
 */
export function serdeJsonF64(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const [mantissa = '', exp = '0'] = Math.abs(x).toExponential().split('e');
  let digits = mantissa.replace('.', '');
  let exponent = Number(exp) - (digits.length - 1);
  // Below 1e16 both writers spell a whole number with a trailing '.0' (`1234.0`), one more digit for serde_json.
  if (exponent >= 0 && digits.length + exponent <= 16) {
    digits += '0'.repeat(exponent + 1);
    exponent = -1;
  }
  // 17 digits at most: below 2^64, so the u64 serde_json accumulates, rounded to f64 like Rust's `as f64`.
  let f = Number(digits);
  for (;;) {
    const pow = POW10[Math.abs(exponent)];
    if (pow !== undefined) {
      f = exponent >= 0 ? f * pow : f / pow;
      break;
    }
    // Below 1e-308 serde_json divides by 1e308 first, rounding once more; a huge exponent is out of range there and
    // cannot come from a finite shortest form, so only this branch is reachable.
    f /= 1e308;
    exponent += 308;
  }
  return x < 0 ? -f : f;
}
