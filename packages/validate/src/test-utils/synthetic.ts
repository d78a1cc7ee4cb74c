import { bytesSource, writeSafetensors } from '@cliphub/safetensors';
import { seededRandom } from '#test-support';
import { readReference } from '../reference.js';

/** Deterministic N(0,1) noise (mulberry32 + Box-Muller), so planted deviations are reproducible. */
function gaussian(seed: number): () => number {
  const uniform = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

const bytes = (a: Float32Array | BigInt64Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * Writes a candidate file in the reference format: the reference's inputs and its `against` embeddings
 * with per-sample noise of relative L2 size `rel` (stored as set `key`), like a reduced-precision run.
 */
export async function writeNoisyCandidate(
  refPath: string,
  out: string,
  opts: { rel: number; seed: number; key?: string; against?: string },
): Promise<void> {
  const ref = await readReference(refPath);
  const set = ref.sets.get(opts.against ?? 'cpu_fp32');
  if (!set || !ref.pixelValues || !ref.inputIds || !ref.imageShape || ref.contextLength === null)
    throw new Error(`${refPath} lacks cpu_fp32 or inputs`);
  const noise = gaussian(opts.seed);
  const noisy = (x: Float32Array): Float32Array => {
    const y = new Float32Array(x.length);
    const d = ref.embedDim;
    for (let i = 0; i < ref.n; i++) {
      let norm = 0;
      for (let j = 0; j < d; j++) norm += (x[i * d + j] as number) ** 2;
      const scale = (opts.rel * Math.sqrt(norm)) / Math.sqrt(d);
      for (let j = 0; j < d; j++) y[i * d + j] = (x[i * d + j] as number) + scale * noise();
    }
    return y;
  };
  const key = opts.key ?? 'cand_fp16';
  await writeSafetensors(out, [
    bytesSource('inputs.pixel_values', 'F32', [ref.n, ...ref.imageShape], bytes(ref.pixelValues)),
    bytesSource('inputs.input_ids', 'I64', [ref.n, ref.contextLength], bytes(ref.inputIds)),
    bytesSource(`${key}.image_embeds`, 'F32', [ref.n, ref.embedDim], bytes(noisy(set.image))),
    bytesSource(`${key}.text_embeds`, 'F32', [ref.n, ref.embedDim], bytes(noisy(set.text))),
  ]);
}
