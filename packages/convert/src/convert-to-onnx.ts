import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { onExit } from 'signal-exit';
import { exportOnnx, towerSupport, type ExportDType, type Tower, type TowerExport } from '@cliphub/onnx-export';
import { fileSha256 } from '@cliphub/core';
import { manifestFromExport, writeManifest, MANIFEST_FILE } from '@cliphub/model-manifest';
import type { ActivationFlag, ConfigChoice } from './choose-config.js';
import { CONFIG_NAME } from './convert-to-safetensors.js';
import { ConvertError } from './errors.js';
import { hfConfigFor } from './hf-config-for.js';
import type { WeightsFormat } from './open-weights.js';
import { openSource } from './open-source.js';
import { weightSourceFromOpened } from './weight-source.js';

export interface OnnxConvertOptions {
  input: string;
  outDir: string;
  model?: string;
  activation?: ActivationFlag;
  force?: boolean;
  dtype?: ExportDType;
  opset?: number;
  towers?: Tower[];
  normalize?: boolean;
  /** Fused onnxruntime (com.microsoft) ops for fp32; false writes standard ONNX only, for other runtimes. */
  contribOps?: boolean;
  /** A Hugging Face text tower's config.json (default: one beside the checkpoint, else cliphub's shipped values). */
  hfConfig?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface OnnxConvertReport {
  input: string;
  checkpoint: string;
  format: WeightsFormat;
  outDir: string;
  files: string[];
  dtype: ExportDType;
  opset: number;
  normalize: boolean;
  contribOps: boolean;
  towers: Array<
    Pick<TowerExport, 'tower' | 'activation' | 'inputs' | 'outputs' | 'nodeCounts'> & {
      file: string;
      externalData: string | null;
    }
  >;
  logitScale: number;
  logitBias: number | null;
  config: { source: ConfigChoice['source']; spec: string | null };
  activation: ConfigChoice['activation'];
  guesses: string[];
  seconds: number;
}

/**
 * Exports a checkpoint's towers to ONNX with @cliphub/onnx-export and writes the model dir the
 * runtime loads: vision.onnx, text.onnx, open_clip_config.json and cliphub.json. Everything is
 * staged and moved into place at the end, so a failure leaves no partial export.
 */
export async function convertToOnnx(options: OnnxConvertOptions): Promise<OnnxConvertReport> {
  const started = performance.now();
  const { located, weights, choice } = await openSource(options);
  const stage = path.join(options.outDir, `.cliphub-staging-${process.pid}-${Date.now()}`);
  // SIGINT/SIGTERM skip the finally below: remove the staging folder from the exit hook instead.
  const removeExitHook = onExit(() => rmSync(stage, { recursive: true, force: true }));
  try {
    const towers = options.towers ?? ['vision', 'text'];
    const hfConfig = hfConfigFor(choice.modelCfg, located.checkpoint, options.hfConfig);
    const support = towerSupport(choice.modelCfg, hfConfig);
    const unsupported = towers.filter((t) => !support[t].supported);
    if (unsupported.length > 0) {
      throw new ConvertError(
        'UNSUPPORTED_TOWER',
        `cannot export ${unsupported.map((t) => `the ${t} tower (${support[t].reason ?? 'unsupported'})`).join(' and ')}; export the other tower with --towers, or convert to safetensors instead`,
      );
    }
    const dtype = options.dtype ?? 'fp32';
    const opset = options.opset ?? 17;
    const normalize = options.normalize ?? false;
    const contribOps = options.contribOps ?? true;

    mkdirSync(stage, { recursive: true });
    const [result, sha256] = await Promise.all([
      exportOnnx(choice.modelCfg, weightSourceFromOpened(weights), stage, {
        towers,
        dtype,
        opset,
        normalize,
        contribOps,
        ...(hfConfig ? { hfConfig } : {}),
        onProgress: options.onProgress,
      }),
      fileSha256(located.checkpoint),
    ]);
    const modelCfg = choice.modelCfg as Parameters<typeof manifestFromExport>[0]['modelCfg'];
    await writeManifest(
      stage,
      manifestFromExport({
        source: { path: path.resolve(located.checkpoint), sha256 },
        modelCfg,
        preprocessCfg: { ...choice.preprocessCfg },
        result,
        opset,
        dtype,
        normalize,
      }),
    );
    writeFileSync(
      path.join(stage, CONFIG_NAME),
      `${JSON.stringify({ model_cfg: choice.modelCfg, preprocess_cfg: choice.preprocessCfg }, null, 2)}\n`,
    );

    const files = readdirSync(stage).sort();
    for (const f of files) renameSync(path.join(stage, f), path.join(options.outDir, f));
    return {
      input: options.input,
      checkpoint: located.checkpoint,
      format: weights.format,
      outDir: options.outDir,
      files,
      dtype,
      opset,
      normalize,
      contribOps: contribOps && dtype === 'fp32',
      towers: result.towers.map((t) => ({
        tower: t.tower,
        file: path.basename(t.path),
        externalData: t.externalData ? path.basename(t.externalData) : null,
        activation: t.activation,
        inputs: t.inputs,
        outputs: t.outputs,
        nodeCounts: t.nodeCounts,
      })),
      logitScale: result.logitScale,
      logitBias: result.logitBias,
      config: { source: choice.source, spec: choice.spec },
      activation: choice.activation,
      guesses: choice.guesses,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    removeExitHook();
    rmSync(stage, { recursive: true, force: true });
    await weights.close();
  }
}

export { MANIFEST_FILE };
