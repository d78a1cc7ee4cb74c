import { Unsupported } from './resolve-config.js';
import type { Activation, ModelCfg } from './types.js';

/**
 * An open_clip HFTextEncoder: a RoBERTa-style (post-LN), M2M100 (pre-LN) or T5/mT5 (RMSNorm, relative
 * position bias) encoder, a pooler and a projection.
 */
export interface HfTextSpec {
  kind: 'hf-text';
  arch: 'roberta' | 'm2m100' | 't5';
  modelName: string;
  prefix: string;
  width: number;
  layers: number;
  heads: number;
  ffn: number;
  eps: number;
  activation: Activation;
  vocab: number;
  /** Rows of the learned position table (RoBERTa); M2M100's sinusoidal table is computed. */
  maxPositions: number;
  padId: number;
  /** RoBERTa's token-type table rows (type 0 is added to every token). */
  typeVocab: number;
  /** M2M100 multiplies token embeddings by √d_model when scale_embedding is set. */
  embedScale: number;
  /** T5: per-head width (q/k/v project to heads·dKv), relative position buckets, gated feed-forward. */
  t5?: { dKv: number; buckets: number; maxDistance: number; gated: boolean };
  /** 'mean' masked mean; 'first' token 0; 'pooler' RoBERTa's dense+tanh pooler on token 0 (cls_pooler). */
  pooler: 'mean' | 'first' | 'pooler';
  proj: 'identity' | 'linear' | 'mlp';
  projHidden: number;
  outputDim: number;
  context: number;
}

const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);

/** transformers' ACT2FN names, as far as they are the exporter's activations. */
function hfActivation(name: unknown, model: string): Activation {
  switch (name) {
    case 'gelu':
      return 'gelu';
    case 'relu':
      return 'relu';
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
      return 'gelu_tanh';
    default:
      throw new Unsupported(`Hugging Face text tower ${model}: activation ${String(name)} is not supported`);
  }
}

/**
 * The HF text tower open_clip builds from text_cfg and the tower's config.json values (`hf`): the encoder
 * of AutoModel.from_config, pooler `hf_pooler_type` (default mean_pooler), projection `hf_proj_type`
 * (default mlp; none only when the widths already agree).
 */
export function resolveHfText(model: ModelCfg, t: Record<string, unknown>, hf: Record<string, unknown>): HfTextSpec {
  const name = String(t.hf_model_name);
  const type = hf.model_type;
  let spec: Omit<
    HfTextSpec,
    'pooler' | 'proj' | 'projHidden' | 'outputDim' | 'context' | 'kind' | 'modelName' | 'prefix'
  >;
  if (type === 'roberta' || type === 'xlm-roberta') {
    spec = {
      arch: 'roberta',
      width: num(hf.hidden_size, 768),
      layers: num(hf.num_hidden_layers, 12),
      heads: num(hf.num_attention_heads, 12),
      ffn: num(hf.intermediate_size, 3072),
      eps: num(hf.layer_norm_eps, 1e-12),
      activation: hfActivation(hf.hidden_act ?? 'gelu', name),
      vocab: num(hf.vocab_size, type === 'roberta' ? 50265 : 30522),
      maxPositions: num(hf.max_position_embeddings, 512),
      padId: num(hf.pad_token_id, 1),
      typeVocab: num(hf.type_vocab_size, 2),
      embedScale: 1,
    };
    if (hf.position_embedding_type !== undefined && hf.position_embedding_type !== 'absolute')
      throw new Unsupported(`${name}: position_embedding_type=${String(hf.position_embedding_type)} is not supported`);
  } else if (type === 'm2m_100') {
    const width = num(hf.d_model, 1024);
    spec = {
      arch: 'm2m100',
      width,
      layers: num(hf.encoder_layers, 12),
      heads: num(hf.encoder_attention_heads, 16),
      ffn: num(hf.encoder_ffn_dim, 4096),
      eps: 1e-5, // nn.LayerNorm's default: M2M100 does not configure it
      activation: hfActivation(hf.activation_function ?? 'relu', name),
      vocab: num(hf.vocab_size, 128112),
      maxPositions: num(hf.max_position_embeddings, 1024),
      padId: num(hf.pad_token_id, 1),
      typeVocab: 0,
      embedScale: hf.scale_embedding === false ? 1 : Math.sqrt(width),
    };
  } else if (type === 'mt5' || type === 't5') {
    // T5Config: feed_forward_proj 'gated-ACT' or 'ACT'; 'gated-gelu' means gelu_new (the tanh form)
    const ff = String(hf.feed_forward_proj ?? (type === 'mt5' ? 'gated-gelu' : 'relu'));
    const parts = ff.split('-');
    const gated = parts[0] === 'gated';
    if (parts.length > 2 || (parts.length === 2 && !gated))
      throw new Unsupported(`${name}: feed_forward_proj=${ff} is not a T5 feed-forward`);
    spec = {
      arch: 't5',
      width: num(hf.d_model, 512),
      layers: num(hf.num_layers, type === 'mt5' ? 8 : 6),
      heads: num(hf.num_heads, type === 'mt5' ? 6 : 8),
      ffn: num(hf.d_ff, type === 'mt5' ? 1024 : 2048),
      eps: num(hf.layer_norm_epsilon, 1e-6),
      activation: hfActivation(ff === 'gated-gelu' ? 'gelu_new' : parts[parts.length - 1], name),
      vocab: num(hf.vocab_size, type === 'mt5' ? 250112 : 32128),
      maxPositions: 0,
      padId: num(hf.pad_token_id, 0),
      typeVocab: 0,
      embedScale: 1,
      t5: {
        dKv: num(hf.d_kv, 64),
        buckets: num(hf.relative_attention_num_buckets, 32),
        maxDistance: num(hf.relative_attention_max_distance, 128),
        gated,
      },
    };
  } else {
    throw new Unsupported(`Hugging Face text tower ${name} of model_type ${String(type)} is not supported`);
  }
  const poolerType = t.hf_pooler_type ?? 'mean_pooler';
  let pooler: HfTextSpec['pooler'];
  if (poolerType === 'mean_pooler') pooler = 'mean';
  else if (poolerType === 'cls_last_hidden_state_pooler') pooler = 'first';
  // cls_pooler makes open_clip build RoBERTa with its pooling layer and use pooler_output; an
  // encoder-decoder's encoder has no pooler output, so M2M100 takes token 0.
  else if (poolerType === 'cls_pooler') pooler = spec.arch === 'roberta' ? 'pooler' : 'first';
  else throw new Unsupported(`Hugging Face text tower ${name}: hf_pooler_type=${String(poolerType)} is not supported`);
  const projType = t.hf_proj_type === undefined ? 'mlp' : t.hf_proj_type;
  const outputDim = model.embed_dim;
  let proj: HfTextSpec['proj'];
  if (projType === null && spec.width === outputDim) proj = 'identity';
  else if (projType === 'linear' || projType === 'mlp') proj = projType;
  else
    throw new Unsupported(
      `Hugging Face text tower ${name}: hf_proj_type=${String(projType)} with width ${spec.width} and embed_dim ${outputDim} builds no projection`,
    );
  const context = num(t.context_length, 77);
  if (spec.arch === 'roberta' && spec.padId + context >= spec.maxPositions)
    throw new Unsupported(
      `${name}: context_length ${context} needs position ${spec.padId + context}, beyond max_position_embeddings ${spec.maxPositions}`,
    );
  return {
    ...spec,
    kind: 'hf-text',
    modelName: name,
    prefix: 'text.transformer.',
    pooler,
    proj,
    projHidden: Math.floor((spec.width + outputDim) / 2),
    outputDim,
    context,
  };
}
