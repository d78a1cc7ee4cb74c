/**
 * Symmetric per-output-channel int8 quantization for MatMulInteger, whose weight is [in, out]. The
 * source is either a torch Linear weight [out, in] (`torchLayout`) or already [in, out]. Column j gets
 * scale_j = max|W[:, j]| / 127 and W ≈ q · scale_j; no weight zero point, which is what onnxruntime's
 * fast U8S8 kernels expect.
 */
export function quantizePerChannel(
  w: Float32Array,
  inDim: number,
  outDim: number,
  torchLayout: boolean,
): { q: Int8Array; scale: Float32Array } {
  const amax = new Float32Array(outDim);
  if (torchLayout) {
    for (let j = 0; j < outDim; j++) {
      let m = 0;
      for (let k = j * inDim, e = k + inDim; k < e; k++) {
        const a = Math.abs(w[k] as number);
        if (a > m) m = a;
      }
      amax[j] = m;
    }
  } else {
    for (let i = 0; i < inDim; i++) {
      for (let j = 0, k = i * outDim; j < outDim; j++, k++) {
        const a = Math.abs(w[k] as number);
        if (a > (amax[j] as number)) amax[j] = a;
      }
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
  const put = (k: number, v: number) => {
    const r = Math.round(v);
    q[k] = r > 127 ? 127 : r < -127 ? -127 : r;
  };
  if (torchLayout) {
    // read rows of [out, in] in order, write column j of [in, out]
    for (let j = 0; j < outDim; j++) {
      const r = inv[j] as number;
      for (let i = 0, k = j * inDim; i < inDim; i++, k++) put(i * outDim + j, (w[k] as number) * r);
    }
  } else {
    for (let i = 0; i < inDim; i++)
      for (let j = 0, k = i * outDim; j < outDim; j++, k++) put(k, (w[k] as number) * (inv[j] as number));
  }
  return { q, scale };
}
