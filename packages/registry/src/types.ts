// The config shapes shared by every package live in @cliphub/core.
import type { Activation, ModelCfg, PreprocessCfg } from '@cliphub/core';

export type { Activation, ModelCfg, PreprocessCfg };

export interface TowerActivations {
  vision: Activation;
  text: Activation;
  /** CoCa's multimodal text decoder, when there is one. */
  multimodal?: Activation;
}

export type VisionTower =
  | 'native-vit'
  | 'modified-resnet'
  | 'timm-convnext'
  | 'timm-siglip-vit'
  | 'timm-siglip2-vit'
  | 'timm-eva'
  | 'timm-vitamin'
  | 'timm-mobileclip'
  | 'timm-pe-core'
  | 'timm-swin'
  | 'timm-vit'
  | 'timm-other';

export type TextTower = 'native-transformer' | 'hf-text';

/** The family shown in listings: CoCa and HF-text models by that, otherwise by their vision tower. */
export type Family = VisionTower | 'hf-text' | 'coca';

/** Pieces a runtime needs beyond plain tensors. tiktoken is listed for completeness: no 3.3.0 model needs it. */
export type RuntimePiece = 'timm-vision' | 'hf-text-model' | 'hf-tokenizer' | 'clip-bpe-tokenizer' | 'tiktoken';

export type WeightsSource =
  | { kind: 'hf-hub'; repo: string; file: string | null; revision?: string }
  | { kind: 'url'; url: string; sha256?: string }
  | { kind: 'local'; path: string };

export interface TokenizerInfo {
  kind: 'simple' | 'hf';
  /** HF tokenizer repo (or, for local-dir, the directory holding the tokenizer files). */
  name?: string;
  contextLength: number;
  /** null for HF tokenizers whose vocabulary the config does not state. */
  vocabSize: number | null;
  /** SimpleTokenizer text cleaning ('lower' by default, 'canonicalize' for SigLIP-style configs). */
  clean?: string;
  stripSepToken?: boolean;
  /** open_clip's text_cfg.tokenizer_mode, passed to HFTokenizer. */
  mode?: string;
}

/** ONNX exporter support per tower, injected by the caller (computed by @cliphub/onnx-export, not here). */
export interface TowerSupportResult {
  vision: { supported: boolean; reason?: string };
  text: { supported: boolean; reason?: string };
}
export type TowerSupportFn = (modelCfg: ModelCfg) => TowerSupportResult;

export interface ResolvedModel {
  /** The spec as given. */
  spec: string;
  arch: string | null;
  tag: string | null;
  /** The config to build: the upstream config, with quick_gelu set when the tag forces it. */
  modelCfg: ModelCfg;
  preprocessCfg: PreprocessCfg;
  weights: WeightsSource | null;
  /** Other sources of the same weights (e.g. the original URL behind a Hub mirror). */
  weightsAlternatives: WeightsSource[];
  tokenizer: TokenizerInfo;
  activation: TowerActivations;
  quickGelu: boolean;
  family: Family;
  visionTower: VisionTower;
  textTower: TextTower;
  runtime: RuntimePiece[];
  /** Where each field came from, e.g. { modelCfg: 'open_clip 3.3.0 model_configs/ViT-B-32.json' }. */
  provenance: Record<string, string>;
  /** Upstream inconsistencies and decisions worth knowing, one sentence each. */
  notes: string[];
  /** Present only when a `support` function was injected. */
  support?: TowerSupportResult;
}

export interface PretrainedEntry {
  /** `ARCH:TAG` for open_clip pairs, the registered name for user models. */
  name: string;
  arch: string;
  tag: string | null;
  source: 'open_clip' | 'user';
  family: Family;
  visionTower: VisionTower;
  textTower: TextTower;
  runtime: RuntimePiece[];
  /** Millions of parameters; null when upstream publishes none. */
  mparams: number | null;
  gflops: number | null;
  imageSize: number | [number, number];
  contextLength: number;
  tokenizer: TokenizerInfo['kind'];
  activation: TowerActivations;
  /** The effective QuickGELU decision (see resolve()). */
  quickGelu: boolean;
  /** The tag's own quick_gelu flag, only when upstream sets one. */
  tagQuickGelu?: boolean;
  imagenet1k: number | null;
  avg38: number | null;
  hfHub: { repo: string; file: string | null } | null;
  url: string | null;
  sha256: string | null;
  mean: [number, number, number];
  std: [number, number, number];
  interpolation: PreprocessCfg['interpolation'];
  resizeMode: PreprocessCfg['resize_mode'];
  /** For user models: the directory with open_clip_config.json. */
  path?: string;
  provenance: Record<string, string>;
}

export interface ArchitectureInfo {
  name: string;
  family: Family;
  visionTower: VisionTower;
  textTower: TextTower;
  runtime: RuntimePiece[];
  imageSize: number | [number, number];
  contextLength: number;
  tokenizer: TokenizerInfo['kind'];
  activation: TowerActivations;
  quickGelu: boolean;
  mparams: number | null;
  gflops: number | null;
  tags: string[];
  /** For `X-quickgelu`: X, when the two configs differ only in quick_gelu. */
  quickGeluAliasOf?: string;
  config: ModelCfg;
}
