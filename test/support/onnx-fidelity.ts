import { openSafetensors } from '@cliphub/safetensors';
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

export interface Reference {
  pixels: { data: Float32Array; dims: number[] };
  ids: { data: BigInt64Array; dims: number[] };
  image: { data: Float32Array; dims: number[] };
  text: { data: Float32Array; dims: number[] };
  logitScale: number;
  logitBias: number | null;
}

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
    };
  } finally {
    await f.close();
  }
}

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
  const d = want.length / rows;
  let minCos = 1;
  let maxAbs = 0;
  let maxRef = 0;
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = r * d; i < (r + 1) * d; i++) {
      const a = got[i] as number;
      const b = want[i] as number;
      dot += a * b;
      na += a * a;
      nb += b * b;
      maxAbs = Math.max(maxAbs, Math.abs(a - b));
      maxRef = Math.max(maxRef, Math.abs(b));
    }
    minCos = Math.min(minCos, dot / Math.sqrt(na * nb));
  }
  return { minCos, maxRel: maxAbs / maxRef };
}
