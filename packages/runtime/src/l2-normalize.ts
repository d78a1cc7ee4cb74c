/** L2-normalizes each row of a row-major [n, d] matrix in place (like F.normalize(dim=-1), eps 1e-12). */
export function l2NormalizeRows(data: Float32Array, d: number): Float32Array {
  for (let off = 0; off < data.length; off += d) {
    let ss = 0;
    for (let j = 0; j < d; j++) ss += data[off + j]! * data[off + j]!;
    const inv = 1 / Math.max(Math.sqrt(ss), 1e-12);
    for (let j = 0; j < d; j++) data[off + j]! *= inv;
  }
  return data;
}
