// Test helper: turns a fixture checkpoint into the export dir `cliphub convert --to onnx` makes.
import { copyFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { exportOnnx, weightSourceFromSafetensors, type ExportOptions } from '@cliphub/onnx-export';
import { openSafetensors } from '@cliphub/safetensors';
import { BUNDLED_BPE_VOCAB } from '@cliphub/tokenizer';
import { generatedFixtures } from '#test-support';
import { fileSha256 } from '@cliphub/core';
import { manifestFromExport, writeManifest, type ManifestModelCfg } from '@cliphub/model-manifest';

export const tinyModels = (name: string): string => path.join(generatedFixtures, 'models', name);

/** open_clip's BPE vocab as @cliphub/tokenizer ships it (checked against open_clip's copy in bundled-vocab.test.ts). */
export function bpeVocab(): string | null {
  return BUNDLED_BPE_VOCAB;
}

/**
 * Exports `<modelDir>/open_clip_model.safetensors` (or `weights`) into `outDir` with cliphub.json; copies the BPE
 * vocab in when `withVocab` (a model dir may carry it).
 */
export async function exportModelDir(
  modelDir: string,
  outDir: string,
  opts: ExportOptions & { withVocab?: boolean; weights?: string } = {},
): Promise<void> {
  const { withVocab = true, weights = path.join(modelDir, 'open_clip_model.safetensors'), ...exportOpts } = opts;
  const config = JSON.parse(await readFile(path.join(modelDir, 'open_clip_config.json'), 'utf8')) as {
    model_cfg: ManifestModelCfg;
    preprocess_cfg?: Record<string, unknown>;
  };
  const file = await openSafetensors(weights);
  try {
    const opset = exportOpts.opset ?? 17;
    const result = await exportOnnx(config.model_cfg, weightSourceFromSafetensors(file), outDir, {
      ...exportOpts,
      opset,
    });
    const manifest = manifestFromExport({
      source: { path: weights, sha256: await fileSha256(weights) },
      modelCfg: config.model_cfg,
      preprocessCfg: config.preprocess_cfg,
      result,
      opset,
      dtype: exportOpts.dtype ?? 'fp32',
      normalize: exportOpts.normalize ?? false,
    });
    await writeManifest(outDir, manifest);
  } finally {
    await file.close();
  }
  const vocab = bpeVocab();
  if (withVocab && vocab) copyFileSync(vocab, path.join(outDir, 'bpe_simple_vocab_16e6.txt.gz'));
}
