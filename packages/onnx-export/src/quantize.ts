/**
 * Symmetric per-output-channel int8 quantization of a [in, out] row-major matrix: each column j gets
 * scale_j = max|W[:, j]| / 127 and W ≈ q * scale_j. Symmetric means no weight zero point, which is what
 * onnxruntime's fast U8S8 MatMulInteger kernels expect.
 */
export function quantizePerChannel(w: Float32Array, inDim: number, outDim: number): { q: Int8Array; scale: Float32Array } {
  const amax = new Float32Array(outDim);
  for (let i = 0; i < inDim; i++) {
    const row = i * outDim;
    for (let j = 0; j < outDim; j++) {
      const a = Math.abs(w[row + j] as number);
      if (a > (amax[j] as number)) amax[j] = a;
    }
  }
  const scale = new Float32Array(outDim);
  const inv = new Float32Array(outDim);
  for (let j = 0; j < outDim; j++) {
    const s = (amax[j] as number) > 0 ? (amax[j] as number) / 127 : 1;
    scale[j] = s;
    inv[j] = 1 / s;
  }
  const q = new Int8Array(inDim * outDim);
  for (let i = 0; i < inDim; i++) {
    const row = i * outDim;
    for (let j = 0; j < outDim; j++) {
      const v = Math.round((w[row + j] as number) * (inv[j] as number));
      q[row + j] = v > 127 ? 127 : v < -127 ? -127 : v;
    }
  }
  return { q, scale };
}
