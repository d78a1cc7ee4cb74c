import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_NAME, type ConvertReport } from '@cliphub/convert';
import {
  matchArchitecture,
  publishModel,
  registryCardFacts,
  type ModelCardFacts,
  type PushResult,
  type ValidationSummary,
} from '@cliphub/hub';
import { listArchitectures } from '@cliphub/registry';

export interface PublishRunOptions {
  /** ORG/NAME */
  repo: string;
  /** Holds open_clip_model.safetensors + open_clip_config.json. */
  modelDir: string;
  /** An ONNX export, uploaded under onnx/. */
  onnxDir?: string;
  convert: ConvertReport;
  validation?: ValidationSummary;
  /** The run's teacher (params.txt distill_model / distill_pretrained), for the card's description. */
  teacher?: string;
  hubUrl?: string;
  /** Default: HF_TOKEN or ~/.cache/huggingface/token from `env`. */
  token?: string;
  env?: NodeJS.ProcessEnv;
  private?: boolean;
  message?: string;
}

/**
 * Publishes a finalized run in one commit, in the layout open_clip's hf-hub: loader reads, with the
 * ONNX export under onnx/ and a model card that states the conversion and the validation verdict.
 */
export async function publishRun(o: PublishRunOptions): Promise<PushResult> {
  // A student trained from scratch on a stock architecture gets that architecture's size and FLOPs;
  // never a pretrained tag's results, which say nothing about these weights.
  const modelCfg = (JSON.parse(readFileSync(path.join(o.modelDir, CONFIG_NAME), 'utf8')) as { model_cfg?: unknown })
    .model_cfg;
  const arch = matchArchitecture(modelCfg, listArchitectures());
  const facts: Partial<ModelCardFacts> = arch ? registryCardFacts(arch) : {};
  const c = o.convert;
  return publishModel({
    repo: o.repo,
    modelDir: o.modelDir,
    onnxDir: o.onnxDir,
    card: {
      ...facts,
      description: `An OpenCLIP${facts.architecture ? ` ${facts.architecture}` : ''} student distilled with open_clip_train${o.teacher ? ` from ${o.teacher}` : ''}, finalized by cliphub from \`${path.basename(c.checkpoint)}\`.`,
      ...(o.validation && { validation: o.validation }),
    },
    conversion: {
      checkpoint: c.checkpoint,
      format: c.format,
      verified: c.verified,
      dtype: c.dtype,
      activation: c.activation.value,
    },
    hubUrl: o.hubUrl,
    token: o.token,
    env: o.env ?? process.env,
    ...(o.private !== undefined && { private: o.private }),
    message: o.message ?? `cliphub distill finalize: ${path.basename(c.checkpoint)}`,
  });
}
