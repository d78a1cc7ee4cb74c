import { openSafetensors } from '@cliphub/safetensors';
import { compareRows } from '@cliphub/core';
import type { Reference } from './reference.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  exportOnnx,
  weightSourceFromSafetensors,
  type ExportOptions,
  type ExportResult,
  type ModelCfg,
} from '@cliphub/onnx-export';

export { loadReference, type Reference } from './reference.js';

/** The export modes the fidelity tests run: fp32 with onnxruntime's fused contrib ops, fp32 in plain ONNX ops, fp16, int8. */
export const EXPORT_MODES: ReadonlyArray<readonly [name: string, options: ExportOptions]> = [
  ['fused', {}],
  ['plain', { contribOps: false }],
  ['fp16', { dtype: 'fp16' }],
  ['int8', { dtype: 'int8' }],
];

export function modelCfgOf(dir: string): ModelCfg {
  return (JSON.parse(readFileSync(path.join(dir, 'open_clip_config.json'), 'utf8')) as { model_cfg: ModelCfg })
    .model_cfg;
}

/** Exports a fixture model dir (open_clip_model.safetensors + open_clip_config.json). */
export async function exportFixture(
  dir: string,
  out: string,
  options: ExportOptions = {},
  weightsFile = 'open_clip_model.safetensors',
): Promise<ExportResult> {
  const f = await openSafetensors(path.resolve(dir, weightsFile));
  try {
    // an HF text tower's config.json beside the checkpoint, as the CLI reads it
    const hfFile = path.join(dir, 'config.json');
    const hf = existsSync(hfFile)
      ? { hfConfig: JSON.parse(readFileSync(hfFile, 'utf8')) as Record<string, unknown> }
      : {};
    return await exportOnnx(modelCfgOf(dir), weightSourceFromSafetensors(f), out, { ...hf, ...options });
  } finally {
    await f.close();
  }
}

export async function runOrt(model: string, feeds: Record<string, ort.Tensor>, threads = 1): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  try {
    const r = await s.run(feeds);
    const out = r[s.outputNames[0] as string];
    if (!out) throw new Error('no output');
    return out.data as Float32Array;
  } finally {
    await s.release();
  }
}

export async function embedImages(model: string, ref: Reference): Promise<Float32Array> {
  return runOrt(model, { pixel_values: new ort.Tensor('float32', ref.pixels.data, ref.pixels.dims) });
}

export async function embedTexts(model: string, ref: Reference): Promise<Float32Array> {
  return runOrt(model, { input_ids: new ort.Tensor('int64', ref.ids.data, ref.ids.dims) });
}

/** Row-wise min cosine and max |Δ| relative to max |ref|. */
export function compare(got: Float32Array, want: Float32Array, rows: number): { minCos: number; maxRel: number } {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  const { minCos, maxAbs, maxRef } = compareRows(got, want, want.length / rows);
  return { minCos, maxRel: maxAbs / maxRef };
}

/**
 * Exports a fixture's two towers and runs them on the reference's inputs: node's embeddings and how far
 * each tower is from the reference.
 */
export async function exportAndEmbed(dir: string, out: string, ref: Reference, options: ExportOptions = {}) {
  const result = await exportFixture(dir, out, options);
  const n = ref.pixels.dims[0] as number;
  const image = await embedImages(path.join(out, 'vision.onnx'), ref);
  const text = await embedTexts(path.join(out, 'text.onnx'), ref);
  return { result, image, text, n, img: compare(image, ref.image.data, n), txt: compare(text, ref.text.data, n) };
}
