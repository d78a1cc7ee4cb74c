import type { DType, ModelCfg, Tower } from '@cliphub/core';

export type { DType, ModelCfg, Tower };

/** Weights addressed by open_clip state_dict names; bytes are little-endian in `info(name).dtype`. */
export interface WeightSource {
  names(): string[];
  info(name: string): { dtype: DType; shape: number[] } | undefined;
  read(name: string): Promise<Uint8Array>;
  chunks?(name: string): AsyncIterable<Uint8Array>;
  /**
   * Random access to a tensor's stored bytes, or null where the source has none for it: lets the writer
   * copy tensors it stores unchanged through its own reused buffers.
   */
  span?(name: string): SpanCopy | null;
}

/** Fills `target` with a tensor's bytes from byte `offset` on. */
export interface SpanCopy {
  readInto(offset: number, target: Uint8Array): Promise<void>;
}

export type Activation = 'quick_gelu' | 'gelu' | 'gelu_tanh' | 'relu';
export type ExportDType = 'fp32' | 'fp16' | 'int8';

export interface ExportOptions {
  towers?: Tower[];
  dtype?: ExportDType;
  /** ONNX default-domain opset, 17 to 21 (default 17). */
  opset?: number;
  /**
   * fp32 only: use onnxruntime's com.microsoft fused kernels (Attention, SkipLayerNormalization,
   * QuickGelu / Gelu / FastGelu) in the transformer blocks (default true). `false` gives plain ONNX
   * for other runtimes. fp16 and int8 exports are always plain ONNX.
   */
  contribOps?: boolean;
  /** Append L2 normalization (like encode_*(normalize=True)). */
  normalize?: boolean;
  /** Override the activation open_clip would build; a contradicting value breaks fidelity on purpose. */
  activation?: Partial<Record<Tower, Activation>>;
  /** Total initializer bytes above which weights go to an external `<tower>.onnx_data` file (default 1.9 GB). */
  externalDataThreshold?: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * Hugging Face text inputs, as transformers.js passes them: `input_ids` of any length up to the context length
   * where the result equals that of the text padded to the full context (causal towers that do not pool the last
   * token), and an `attention_mask` input the graph ignores (the pooled token comes from the ids).
   */
  hfTextInputs?: boolean;
  /**
   * Full-context text graphs with a Hugging Face tokenizer: a row whose last id is not `pad` gets `end` there,
   * as the tokenizer's truncation keeps its end token and transformers.js's cuts it off.
   */
  textEndToken?: { end: number; pad: number };
  /**
   * Also write `model.onnx`: both towers, L2-normalized `text_embeds` / `image_embeds` and `logits_per_text` /
   * `logits_per_image` (exp(logit_scale)·cos + logit_bias), the outputs of a Hugging Face CLIPModel / SiglipModel.
   */
  combined?: boolean;
  /**
   * The config.json values of a Hugging Face text tower (text_cfg.hf_model_name) that cliphub does not
   * ship; the shipped values of the open_clip 3.3.0 names are used otherwise.
   */
  hfConfig?: Record<string, unknown>;
}

export interface IoSpec {
  name: string;
  dtype: string;
  shape: (number | string)[];
}

export interface TowerExport {
  tower: Tower;
  path: string;
  externalData: string | null;
  inputs: IoSpec[];
  outputs: IoSpec[];
  activation: Activation;
  nodeCounts: Record<string, number>;
}

export interface ExportResult {
  towers: TowerExport[];
  /** `model.onnx` when `combined` was asked for. */
  combined?: { path: string; inputs: IoSpec[]; outputs: IoSpec[] };
  logitScale: number;
  logitBias: number | null;
}
