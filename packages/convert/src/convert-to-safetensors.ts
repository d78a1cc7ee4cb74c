import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@cliphub/core';
import { castChunks, openSafetensors, writeSafetensors, type DType } from '@cliphub/safetensors';
import { onExit } from 'signal-exit';
import type { ActivationFlag, ConfigChoice } from './choose-config.js';
import { ConvertError } from './errors.js';
import { toTensorSource, type WeightsFormat, type WeightTensor } from './open-weights.js';
import { openSource } from './open-source.js';

export type OutputDtype = 'fp32' | 'fp16' | 'bf16';

export interface ConvertOptions {
  /** A checkpoint file or a directory holding one (with its open_clip_config.json, if any). */
  input: string;
  outDir: string;
  /** A registry spec that names the architecture (wins over a config file and inference). */
  model?: string;
  dtype?: OutputDtype;
  activation?: ActivationFlag;
  force?: boolean;
  /** Re-read the output and compare every tensor with the source. */
  verify?: boolean;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface ConvertReport {
  input: string;
  checkpoint: string;
  format: WeightsFormat;
  outputs: { safetensors: string; config: string };
  tensors: number;
  bytes: number;
  dtype: OutputDtype | 'as-source';
  dropped: string[];
  strippedPrefix: string | null;
  extraBuffers: string[];
  config: { source: ConfigChoice['source']; spec: string | null };
  activation: ConfigChoice['activation'];
  guesses: string[];
  verified: boolean;
  seconds: number;
}

export const SAFETENSORS_NAME = 'open_clip_model.safetensors';
export const CONFIG_NAME = 'open_clip_config.json';
const CAST: Record<OutputDtype, 'F32' | 'F16' | 'BF16'> = { fp32: 'F32', fp16: 'F16', bf16: 'BF16' };
const FLOATS = new Set<DType>(['F64', 'F32', 'F16', 'BF16']);

/**
 * Converts any supported checkpoint into open_clip's Hub layout: open_clip_model.safetensors plus
 * open_clip_config.json ({model_cfg, preprocess_cfg}), which open_clip's hf-hub: and local-dir:
 * loaders read. Tensors are streamed; nothing is executed; a failure leaves no output files.
 */
export async function convertToSafetensors(options: ConvertOptions): Promise<ConvertReport> {
  const started = performance.now();
  const { located, weights, choice } = await openSource(options);
  const stPath = path.join(options.outDir, SAFETENSORS_NAME);
  const cfgPath = path.join(options.outDir, CONFIG_NAME);
  // The writers remove their own temp files on SIGINT/SIGTERM; this removes a finished safetensors file
  // whose config (or verification) a signal cut short, so an interrupted run leaves no half output.
  let placed = false;
  let finished = false;
  const removeExitHook = onExit(() => {
    if (!placed || finished) return;
    rmSync(stPath, { force: true });
    rmSync(cfgPath, { force: true });
  });
  try {
    mkdirSync(options.outDir, { recursive: true });
    const castTo = options.dtype ? CAST[options.dtype] : undefined;
    const result = await writeSafetensors(stPath, weights.tensors.map(toTensorSource), {
      castTo,
      onProgress: options.onProgress,
    });
    placed = true;
    try {
      await writeFileAtomic(
        cfgPath,
        `${JSON.stringify({ model_cfg: choice.modelCfg, preprocess_cfg: choice.preprocessCfg }, null, 2)}\n`,
      );
      if (options.verify) await verifyOutput(stPath, weights.tensors, castTo);
    } catch (e) {
      rmSync(stPath, { force: true });
      rmSync(cfgPath, { force: true });
      throw e;
    }
    finished = true;
    return {
      input: options.input,
      checkpoint: located.checkpoint,
      format: weights.format,
      outputs: { safetensors: stPath, config: cfgPath },
      tensors: result.tensors,
      bytes: result.bytes,
      dtype: options.dtype ?? 'as-source',
      dropped: weights.dropped,
      strippedPrefix: weights.strippedPrefix,
      extraBuffers: weights.extraBuffers,
      config: { source: choice.source, spec: choice.spec },
      activation: choice.activation,
      guesses: choice.guesses,
      verified: options.verify === true,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    removeExitHook();
    await weights.close();
  }
}

/** Re-reads the written file and checks every tensor's dtype, shape and bytes against the source. */
async function verifyOutput(
  file: string,
  sources: WeightTensor[],
  castTo: 'F32' | 'F16' | 'BF16' | undefined,
): Promise<void> {
  const out = await openSafetensors(file);
  try {
    const names = new Set(out.header.tensors.keys());
    const problems: string[] = [];
    for (const src of sources) {
      const info = out.header.tensors.get(src.name);
      if (!info) {
        problems.push(`${src.name} is missing`);
        continue;
      }
      names.delete(src.name);
      const wantDtype = castTo && FLOATS.has(src.dtype) ? castTo : src.dtype;
      if (info.dtype !== wantDtype || JSON.stringify(info.shape) !== JSON.stringify(src.shape)) {
        problems.push(
          `${src.name}: ${info.dtype}${JSON.stringify(info.shape)} != ${wantDtype}${JSON.stringify(src.shape)}`,
        );
        continue;
      }
      const a = createHash('sha256');
      const chunks = wantDtype === src.dtype ? src.chunks() : castChunks(src.chunks(), src.dtype, wantDtype);
      for await (const chunk of chunks) a.update(chunk);
      const b = createHash('sha256');
      for await (const chunk of out.tensorChunks(src.name)) b.update(chunk);
      if (a.digest('hex') !== b.digest('hex')) problems.push(`${src.name}: bytes differ`);
    }
    for (const extra of names) problems.push(`${extra} is not in the source`);
    if (problems.length > 0) {
      throw new ConvertError(
        'VERIFY_FAILED',
        `verification failed for ${file}: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? ` (+${problems.length - 10} more)` : ''}`,
        1,
      );
    }
  } finally {
    await out.close();
  }
}
