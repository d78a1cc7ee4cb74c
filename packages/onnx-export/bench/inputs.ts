import * as ort from 'onnxruntime-node';

/** Image side, context length and the tokenizer's start, end and padding ids; ViT-B-32's by default. */
export interface InputShape {
  size: number;
  context: number;
  bos: number;
  eos: number;
  pad: number;
}

const VIT_B_32: InputShape = { size: 224, context: 77, bos: 49406, eos: 49407, pad: 0 };

/**
 * The benchmark's input: deterministic pixels, or token ids for a 5-token prompt padded to the context
 * (fullText: every position a real token with the end-of-text token last). bench/families.ts builds the
 * same ids in Python for the torch baselines.
 */
export function benchInput(
  tower: 'vision' | 'text',
  batch: number,
  fullText = false,
  shape: InputShape = VIT_B_32,
): ort.Tensor {
  const { size, context, bos, eos, pad } = shape;
  if (tower === 'vision') {
    return new ort.Tensor(
      'float32',
      Float32Array.from({ length: batch * 3 * size * size }, (_, i) => Math.sin(i)),
      [batch, 3, size, size],
    );
  }
  const ids = new BigInt64Array(batch * context).fill(BigInt(pad));
  for (let b = 0; b < batch; b++) {
    if (fullText)
      for (let i = 0; i < context; i++)
        ids[b * context + i] = BigInt(i === 0 ? bos : i === context - 1 ? eos : 320 + ((i * 7 + b) % 1000));
    else ids.set([bos, 320, 1929, 539, eos].map(BigInt), b * context);
  }
  return new ort.Tensor('int64', ids, [batch, context]);
}
