import { Tensor } from '@huggingface/transformers';
import { compareRows, type RowsComparison } from '@cliphub/core';

/** A layout's text and vision towers with the tokenizer call the test pads with. */
export interface LayoutTowers {
  tokenize: (texts: string[]) => unknown;
  text: (inputs: unknown) => Promise<unknown>;
  vision: (inputs: unknown) => Promise<unknown>;
}

/**
 * Embeds `texts` and the reference's pixels with the layout's towers and compares each with open_clip's
 * embeddings: [text, image].
 */
export async function compareTowers(
  towers: LayoutTowers,
  texts: string[],
  pixels: { data: Float32Array; dims: number[] },
  want: { text: number[][]; image: Float32Array },
): Promise<[RowsComparison, RowsComparison]> {
  const { text_embeds } = (await towers.text(towers.tokenize(texts))) as { text_embeds: Tensor };
  const { image_embeds } = (await towers.vision({
    pixel_values: new Tensor('float32', pixels.data, pixels.dims),
  })) as { image_embeds: Tensor };
  const d = text_embeds.dims[1] as number;
  return [
    compareRows(text_embeds.data as Float32Array, Float32Array.from(want.text.flat()), d),
    compareRows(image_embeds.data as Float32Array, want.image, d),
  ];
}
