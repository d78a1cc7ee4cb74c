import { RawImage, type Tensor } from '@huggingface/transformers';

/** Three small synthetic RGB images of different aspect ratios, with deterministic pixels. */
export function zeroShotImages(): RawImage[] {
  return [
    [40, 30],
    [64, 64],
    [23, 71],
  ].map(([w, h], i) => {
    const data = new Uint8ClampedArray((w as number) * (h as number) * 3).map((_, k) => (k * (i + 7) * 31) % 251);
    return new RawImage(data, w as number, h as number, 3);
  });
}

/** The transformers.js pieces a zero-shot check calls: the image processor, the tokenizer and both towers. */
export interface ZeroShotTowers {
  processor: (image: RawImage) => Promise<unknown>;
  tokenize: (texts: string[]) => unknown;
  vision: (inputs: unknown) => Promise<unknown>;
  text: (inputs: unknown) => Promise<unknown>;
}

/**
 * cos[i][j] between image i and text j, each embedded by the layout's own towers as the
 * zero-shot-image-classification pipeline embeds them: what the pipeline's scores must follow from.
 */
export async function ownCosines(towers: ZeroShotTowers, images: RawImage[], texts: string[]): Promise<number[][]> {
  const { text_embeds } = (await towers.text(towers.tokenize(texts))) as { text_embeds: Tensor };
  const d = text_embeds.dims[1] as number;
  const unit = (v: Float32Array, r: number) => {
    const row = v.subarray(r * d, (r + 1) * d);
    const n = Math.hypot(...row);
    return Array.from(row, (x) => x / n);
  };
  const cosines: number[][] = [];
  for (const image of images) {
    const { image_embeds } = (await towers.vision(await towers.processor(image))) as { image_embeds: Tensor };
    const img = unit(image_embeds.data as Float32Array, 0);
    cosines.push(
      texts.map((_, j) => unit(text_embeds.data as Float32Array, j).reduce((a, x, k) => a + x * (img[k] as number), 0)),
    );
  }
  return cosines;
}
