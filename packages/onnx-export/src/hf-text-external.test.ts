import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatedFixtures, tempDir } from '#test-support';
import { compare, embedTexts, exportFixture, loadReference } from '#test-support/onnx-fidelity.js';

// The zoo's tiny NLLB-CLIP and mT5 (real open_clip + transformers) with every weight in external data,
// as towers over 2 GB are written (NLLB-1.3B's and mT5-XL's text towers are).
const zoo = path.join(generatedFixtures, 'export-zoo');

describe.skipIf(!existsSync(path.join(zoo, 'nllb-clip-base')))('HF text towers with external data', () => {
  const scratch = tempDir('cliphub-hf-ext-');
  afterAll(() => scratch.cleanup());
  for (const arch of ['nllb-clip-base', 'mt5-xl-ViT-H-14', 'coca_roberta-ViT-B-32'])
    for (const dtype of ['fp32', 'fp16', 'int8'] as const)
      it(`${arch} ${dtype}: weights in text.onnx_data, same embeddings`, async () => {
        const dir = path.join(zoo, arch);
        const out = path.join(scratch.dir, arch, dtype);
        const r = await exportFixture(dir, out, { towers: ['text'], dtype, externalDataThreshold: 0 });
        expect(readdirSync(out).sort()).toEqual(['text.onnx', 'text.onnx_data']);
        expect(r.towers[0]?.externalData).toBe(path.join(out, 'text.onnx_data'));
        const ref = await loadReference(path.join(dir, 'reference.safetensors'));
        const got = compare(
          await embedTexts(path.join(out, 'text.onnx'), ref),
          ref.text.data,
          ref.ids.dims[0] as number,
        );
        expect(got.minCos).toBeGreaterThanOrEqual({ fp32: 0.99999, fp16: 0.999, int8: 0.99 }[dtype]);
      });
});
