import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  exportOnnx,
  weightSourceFromSafetensors,
  type Activation,
  type ExportDType,
  type ModelCfg,
} from '@cliphub/onnx-export';
import { openSafetensors } from '@cliphub/safetensors';
import { readSmallJsonFile } from '@cliphub/core';
import type { CheckpointExporter } from './artifact.js';
import { asValidateError, ValidateError } from './errors.js';

export interface CheckpointExportOptions {
  dtype?: ExportDType;
  /** Deliberately wrong activations, for testing that validation catches them. */
  activation?: Partial<Record<'vision' | 'text', Activation>>;
}

function weightsFile(dir: string): string {
  const preferred = path.join(dir, 'open_clip_model.safetensors');
  if (existsSync(preferred)) return preferred;
  const found = readdirSync(dir).filter((f) => f.endsWith('.safetensors') && f !== 'reference.safetensors');
  if (found.length === 1) return path.join(dir, found[0] as string);
  throw new ValidateError(
    'BAD_ARTIFACT',
    found.length
      ? `${dir} holds several .safetensors files (${found.join(', ')}); keep only the weights or name them open_clip_model.safetensors`
      : `${dir} has no .safetensors weights; convert the checkpoint first (cliphub convert ${dir} --out DIR)`,
  );
}

/** A CheckpointExporter over @cliphub/onnx-export: open_clip_config.json + safetensors weights -> ONNX dir. */
export function checkpointExporter(options: CheckpointExportOptions = {}): CheckpointExporter {
  return async (dir, outDir) => {
    const configFile = path.join(dir, 'open_clip_config.json');
    const cfg = (
      readSmallJsonFile(
        configFile,
        'config',
        (reason) => new ValidateError('BAD_ARTIFACT', `cannot read ${configFile}: ${reason}`),
      ) as { model_cfg?: ModelCfg } | null
    )?.model_cfg;
    if (!cfg || typeof cfg !== 'object')
      throw new ValidateError('BAD_ARTIFACT', `${dir}/open_clip_config.json has no model_cfg`);
    const file = await openSafetensors(weightsFile(dir)).catch((err: unknown) => {
      throw asValidateError(err, 'BAD_ARTIFACT', `cannot read the weights in ${dir}`);
    });
    try {
      await exportOnnx(cfg, weightSourceFromSafetensors(file), outDir, {
        dtype: options.dtype ?? 'fp32',
        ...(options.activation ? { activation: options.activation } : {}),
      });
    } finally {
      await file.close();
    }
    return { precision: options.dtype ?? 'fp32' };
  };
}
