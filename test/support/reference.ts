import { openSafetensors } from '@cliphub/safetensors';

export interface Reference {
  pixels: { data: Float32Array; dims: number[] };
  ids: { data: BigInt64Array; dims: number[] };
  image: { data: Float32Array; dims: number[] };
  text: { data: Float32Array; dims: number[] };
  logitScale: number;
  logitBias: number | null;
  /** The prompts behind the text embeddings (the metadata's `texts`; empty when absent). */
  texts: string[];
}

/** The inputs and CPU fp32 outputs open_clip wrote into a fixture's reference.safetensors. */
export async function loadReference(file: string): Promise<Reference> {
  const f = await openSafetensors(file);
  try {
    const get = async (name: string) => {
      const t = f.header.tensors.get(name);
      if (!t) throw new Error(`${file} has no ${name}`);
      const b = await f.readTensor(name);
      return { bytes: b, dims: t.shape };
    };
    const f32 = async (name: string) => {
      const { bytes, dims } = await get(name);
      return { data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), dims };
    };
    const ids = await get('inputs.input_ids');
    return {
      pixels: await f32('inputs.pixel_values'),
      ids: {
        data: new BigInt64Array(ids.bytes.buffer, ids.bytes.byteOffset, ids.bytes.byteLength / 8),
        dims: ids.dims,
      },
      image: await f32('cpu_fp32.image_embeds'),
      text: await f32('cpu_fp32.text_embeds'),
      logitScale: (await f32('logit_scale')).data[0] as number,
      logitBias: f.header.tensors.has('logit_bias') ? ((await f32('logit_bias')).data[0] as number) : null,
      texts: JSON.parse(f.header.metadata?.texts ?? '[]') as string[],
    };
  } finally {
    await f.close();
  }
}
