/**
 * Symmetric per-output-channel int8 quantization for MatMulInteger, whose weight is [in, out]. The
 * source is either a torch Linear weight [out, in] (`torchLayout`) or already [in, out]. Column j gets
 * scale_j = max|W[:, j]| / 127 and W ≈ q · scale_j; no weight zero point, which is what onnxruntime's
 * fast U8S8 kernels expect.
 */
export function quantizePerChannel(w: Float32Array, inDim: number, outDim: number, torchLayout: boolean): { q: Int8Array; scale: Float32Array } {
  const at = torchLayout ? (i: number, j: number) => j * inDim + i : (i: number, j: number) => i * outDim + j;
  const amax = new Float32Array(outDim);
  for (let j = 0; j < outDim; j++) {
    let m = 0;
    for (let i = 0; i < inDim; i++) m = Math.max(m, Math.abs(w[at(i, j)] as number));
    amax[j] = m;
  }
  const scale = new Float32Array(outDim);
  const inv = new Float32Array(outDim);
  for (let j = 0; j < outDim; j++) {
    const s = (amax[j] as number) > 0 ? (amax[j] as number) / 127 : 1;
    scale[j] = s;
    inv[j] = 1 / s;
  }
  const q = new Int8Array(inDim * outDim);
  for (let j = 0; j < outDim; j++) {
    const r = inv[j] as number;
    for (let i = 0; i < inDim; i++) {
      const v = Math.round((w[at(i, j)] as number) * r);
      q[i * outDim + j] = v > 127 ? 127 : v < -127 ? -127 : v;
    }
  }
  return { q, scale };
}
