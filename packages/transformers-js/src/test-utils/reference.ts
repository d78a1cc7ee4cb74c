import { openSafetensors } from '@cliphub/safetensors';

export interface Reference {
  pixels: { data: Float32Array; dims: number[] };
  ids: { data: BigInt64Array; dims: number[] };
  image: Float32Array;
  text: Float32Array;
  texts: string[];
  logitScale: number;
}

/** The inputs and CPU fp32 embeddings open_clip wrote into a fixture's reference.safetensors. */
export async function loadReference(file: string): Promise<Reference> {
  const f = await openSafetensors(file);
  try {
    const bytes = async (name: string) => {
      const info = f.header.tensors.get(name);
      if (!info) throw new Error(`${file} has no ${name}`);
      return { b: await f.readTensor(name), dims: info.shape };
    };
    const f32 = async (name: string) => {
      const { b, dims } = await bytes(name);
      return { data: new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4), dims };
    };
    const ids = await bytes('inputs.input_ids');
    return {
      pixels: await f32('inputs.pixel_values'),
      ids: { data: new BigInt64Array(ids.b.buffer, ids.b.byteOffset, ids.b.byteLength / 8), dims: ids.dims },
      image: (await f32('cpu_fp32.image_embeds')).data,
      text: (await f32('cpu_fp32.text_embeds')).data,
      texts: JSON.parse(f.header.metadata?.texts ?? '[]') as string[],
      logitScale: (await f32('logit_scale')).data[0] as number,
    };
  } finally {
    await f.close();
  }
}

/** Worst row cosine and max |Δ| between [n, d] row-major matrices. */
export function compareRows(
  got: Float32Array,
  want: Float32Array,
  d: number,
): { minCos: number; maxAbs: number; maxRef: number } {
  let minCos = 1;
  let maxAbs = 0;
  let maxRef = 0;
  for (let r = 0; r < want.length / d; r++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let k = r * d; k < (r + 1) * d; k++) {
      const a = got[k] as number;
      const b = want[k] as number;
      dot += a * b;
      na += a * a;
      nb += b * b;
      maxAbs = Math.max(maxAbs, Math.abs(a - b));
      maxRef = Math.max(maxRef, Math.abs(b));
    }
    minCos = Math.min(minCos, dot / Math.sqrt(na * nb));
  }
  return { minCos, maxAbs, maxRef };
}
