import * as ort from 'onnxruntime-node';

/**
 * The benchmark's ViT-B-32 input: deterministic pixels, or token ids for a 5-token prompt padded to
 * 77 (fullText: 77 real tokens with the end-of-text token last).
 */
export function benchInput(tower: 'vision' | 'text', batch: number, fullText = false): ort.Tensor {
  if (tower === 'vision') {
    return new ort.Tensor(
      'float32',
      Float32Array.from({ length: batch * 3 * 224 * 224 }, (_, i) => Math.sin(i)),
      [batch, 3, 224, 224],
    );
  }
  const ids = new BigInt64Array(batch * 77);
  for (let b = 0; b < batch; b++) {
    if (fullText)
      for (let i = 0; i < 77; i++)
        ids[b * 77 + i] = i === 0 ? 49406n : i === 76 ? 49407n : BigInt(320 + ((i * 7 + b) % 1000));
    else ids.set([49406n, 320n, 1929n, 539n, 49407n], b * 77);
  }
  return new ort.Tensor('int64', ids, [batch, 77]);
}
