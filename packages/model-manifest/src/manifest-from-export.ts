import path from 'node:path';
import { ManifestError } from './errors.js';
import type {
  CliphubManifest,
  ManifestModelCfg,
  ManifestPreprocessCfg,
  TensorSpec,
  TowerManifest,
  TowerName,
} from './manifest.js';

// open_clip's defaults (OPENAI_DATASET_MEAN / STD) when a config leaves them out.
const OPENAI_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const OPENAI_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

/** The parts of @cliphub/onnx-export's ExportResult the manifest records (structural, so no runtime dependency). */
export interface ExportSummary {
  towers: Array<{ tower: TowerName; path: string; inputs: TensorSpec[]; outputs: TensorSpec[]; activation: string }>;
  /** raw logit_scale, as exportOnnx reports it */
  logitScale: number;
  logitBias: number | null;
}

export interface ManifestFromExportArgs {
  source: { path: string; sha256: string };
  /** open_clip_config.json's model_cfg and preprocess_cfg */
  modelCfg: ManifestModelCfg;
  preprocessCfg?: Record<string, unknown>;
  result: ExportSummary;
  opset: number;
  dtype: CliphubManifest['dtype'];
  normalize: boolean;
}

/** open_clip's preprocess_cfg with its defaults: size from vision_cfg.image_size, OpenAI mean/std, bicubic, shortest, fill 0. */
export function resolvePreprocessCfg(
  modelCfg: ManifestModelCfg,
  pp: Record<string, unknown> = {},
): ManifestPreprocessCfg {
  const size = (pp.size ?? modelCfg.vision_cfg.image_size ?? 224) as number | [number, number];
  return {
    size: Array.isArray(size) ? [size[0], size[1]] : size,
    mean: (pp.mean as [number, number, number] | undefined) ?? OPENAI_MEAN,
    std: (pp.std as [number, number, number] | undefined) ?? OPENAI_STD,
    interpolation: (pp.interpolation as ManifestPreprocessCfg['interpolation'] | undefined) ?? 'bicubic',
    resize_mode: (pp.resize_mode as ManifestPreprocessCfg['resize_mode'] | undefined) ?? 'shortest',
    fill_color: (pp.fill_color as number | undefined) ?? 0,
  };
}

export const COCA_NOTES = [
  "CoCa: only the contrastive towers are exported (encode_image: the attentional pooler's contrastive token; encode_text: the class-token embedding). The generative text decoder (text_decoder, captioning) is not exported.",
  "CoCa's encode_image and encode_text L2-normalize their output, so both graphs end in L2 normalization.",
];

/** Builds cliphub.json's content from an export's result and the model's config (validate with writeManifest). */
export function manifestFromExport(args: ManifestFromExportArgs): CliphubManifest {
  const { modelCfg, result } = args;
  const textCfg = modelCfg.text_cfg;
  const towers: CliphubManifest['towers'] = {};
  const activation: CliphubManifest['activation'] = {};
  for (const t of result.towers) {
    const entry: TowerManifest = { file: path.basename(t.path), inputs: t.inputs, outputs: t.outputs };
    towers[t.tower] = entry;
    activation[t.tower] = t.activation;
  }
  if (!Number.isFinite(result.logitScale))
    throw new ManifestError(
      'MANIFEST_INVALID',
      `logit_scale ${result.logitScale} is not a finite number; check the checkpoint`,
    );
  // CoCa: the exporter builds the contrastive towers only, and they normalize as CoCa's encode_* do
  const coca = modelCfg.multimodal_cfg != null;
  const hfName = typeof textCfg.hf_tokenizer_name === 'string' ? textCfg.hf_tokenizer_name : undefined;
  return {
    format: 'cliphub-onnx',
    version: 1,
    source: args.source,
    modelCfg,
    preprocessCfg: resolvePreprocessCfg(modelCfg, args.preprocessCfg),
    tokenizer: {
      kind: hfName ? 'hf' : 'simple',
      ...(hfName ? { name: hfName } : {}),
      contextLength: (textCfg.context_length as number | undefined) ?? 77,
      vocabSize: (textCfg.vocab_size as number | undefined) ?? 49408,
    },
    activation,
    opset: args.opset,
    dtype: args.dtype,
    normalize: args.normalize || coca,
    towers,
    logitScaleRaw: result.logitScale,
    logitScale: Math.exp(result.logitScale),
    logitBias: result.logitBias,
    ...(coca ? { notes: COCA_NOTES } : {}),
  };
}
