import type { ModelCfg } from '@cliphub/registry';
import { ConvertError } from './errors.js';

export interface ShapeInfo {
  name: string;
  shape: readonly number[];
}

/** The inferred model_cfg: the registry's ModelCfg (open_clip_config.json's model_cfg). */
export type InferredModelCfg = ModelCfg;

export interface Inference {
  modelCfg: InferredModelCfg;
  /** Fields the weights cannot determine; each names the default used, so the user can override. */
  guesses: string[];
}

/** TorchScript module attributes (dotted path -> value) that settle what shapes cannot, e.g. heads. */
export type ModuleAttributes = Record<string, number | string | boolean | number[]>;

/**
 * Infers an open_clip model_cfg from state-dict shapes, following the rules of open_clip's
 * build_model_from_openai_state_dict and extending them to the options visible in the weights
 * (layer scale, attentional pooling, custom text towers, projection bias, logit bias, MLP ratio).
 */
export function inferModelCfg(tensors: readonly ShapeInfo[], attributes: ModuleAttributes = {}): Inference {
  const shapes = shapeMap(tensors);
  const guesses: string[] = [];
  const vision = inferVisionCfg(shapes, attributes, guesses);
  const { text, embedDim, customText } = inferTextCfg(shapes, attributes, guesses);
  const modelCfg: InferredModelCfg = { embed_dim: embedDim, vision_cfg: vision, text_cfg: text };
  if (customText) modelCfg.custom_text = true;
  if (shapes.has('logit_bias')) modelCfg.init_logit_bias = -10;
  return { modelCfg, guesses };
}

export type ShapeMap = Map<string, readonly number[]>;

export function shapeMap(tensors: readonly ShapeInfo[]): ShapeMap {
  return new Map(tensors.map((t) => [t.name, t.shape]));
}

function accessors(shapes: ShapeMap): {
  need: (name: string) => readonly number[];
  dim: (name: string, axis: number) => number;
} {
  const need = (name: string): readonly number[] => {
    const s = shapes.get(name);
    if (!s) {
      throw new ConvertError(
        'CANNOT_INFER',
        `cannot infer the architecture: '${name}' is missing; pass --model ARCH or put an open_clip_config.json beside the checkpoint`,
      );
    }
    return s;
  };
  const dim = (name: string, axis: number): number => {
    const d = need(name)[axis];
    if (d === undefined) {
      throw new ConvertError(
        'CANNOT_INFER',
        `cannot infer the architecture: '${name}' has shape ${JSON.stringify(need(name))}, not the rank open_clip gives it; pass --model ARCH`,
      );
    }
    return d;
  };
  return { need, dim };
}

/** The native vision tower (ViT or ModifiedResNet) from its weights; CANNOT_INFER for anything else. */
export function inferVisionCfg(
  shapes: ShapeMap,
  attributes: ModuleAttributes,
  guesses: string[],
): Record<string, unknown> {
  const { need, dim } = accessors(shapes);
  const vision =
    shapes.has('visual.conv1.weight') && shapes.has('visual.class_embedding')
      ? inferVit(shapes, need, dim, attributes, guesses)
      : shapes.has('visual.attnpool.positional_embedding')
        ? inferResNet(shapes, dim, attributes, guesses)
        : null;
  if (!vision) {
    throw new ConvertError(
      'CANNOT_INFER',
      'cannot infer the vision tower: neither a ViT (visual.conv1 + visual.class_embedding) nor a ModifiedResNet (visual.attnpool); timm and HF towers need --model ARCH or an open_clip_config.json',
    );
  }
  return vision;
}

/** The native text tower and the embedding width from its weights; CANNOT_INFER when they are missing. */
export function inferTextCfg(
  shapes: ShapeMap,
  attributes: ModuleAttributes,
  guesses: string[],
): { text: Record<string, unknown>; embedDim: number; customText: boolean } {
  const { dim } = accessors(shapes);
  const textPrefix = shapes.has('text.token_embedding.weight') ? 'text.' : '';
  const p = textPrefix;
  const textWidth = dim(`${p}ln_final.weight`, 0);
  const textLayers = countIndices(shapes, `${p}transformer.resblocks.`);
  const text: Record<string, unknown> = {
    context_length: dim(`${p}positional_embedding`, 0),
    vocab_size: dim(`${p}token_embedding.weight`, 0),
    width: textWidth,
    heads: headsFromAttributes(attributes, 'transformer') ?? Math.max(1, Math.floor(textWidth / 64)),
    layers: textLayers,
  };
  if (headsFromAttributes(attributes, 'transformer') === undefined) {
    guesses.push(`text_cfg.heads = ${text.heads as number} (width / 64; heads are not visible in weights)`);
  }
  const textMlp = shapes.get(`${p}transformer.resblocks.0.mlp.c_fc.weight`);
  if (textMlp && textMlp[0] !== 4 * textWidth) text.mlp_ratio = (textMlp[0] as number) / textWidth;
  if (shapes.has(`${p}transformer.resblocks.0.ls_1.gamma`)) text.ls_init_value = 1e-5;

  let embedDim: number;
  if (shapes.has(`${p}text_projection.weight`)) {
    // nn.Linear projection: weight is [embed_dim, width]
    embedDim = dim(`${p}text_projection.weight`, 0);
    text.proj_bias = shapes.has(`${p}text_projection.bias`);
  } else if (shapes.has(`${p}text_projection`)) {
    embedDim = dim(`${p}text_projection`, 1);
  } else {
    embedDim = textWidth;
    text.proj_type = 'none';
  }
  guesses.push(
    'text_cfg pooling/causal mask = open_clip defaults (argmax pooling, causal mask): not visible in weights',
  );
  return { text, embedDim, customText: textPrefix !== '' };
}

function countIndices(shapes: Map<string, readonly number[]>, prefix: string): number {
  const seen = new Set<string>();
  for (const k of shapes.keys()) {
    if (k.startsWith(prefix)) seen.add(k.slice(prefix.length).split('.')[0] as string);
  }
  return seen.size;
}

function headsFromAttributes(
  attributes: ModuleAttributes,
  tower: 'visual.transformer' | 'transformer' | 'visual.attnpool',
): number | undefined {
  for (const [k, v] of Object.entries(attributes)) {
    const m =
      tower === 'visual.attnpool'
        ? k === 'visual.attnpool.num_heads'
        : k.startsWith(`${tower}.resblocks.0.attn.`) && k.endsWith('num_heads');
    if (m && typeof v === 'number') return v;
  }
  return undefined;
}

function inferVit(
  shapes: Map<string, readonly number[]>,
  need: (n: string) => readonly number[],
  dim: (n: string, a: number) => number,
  attributes: ModuleAttributes,
  guesses: string[],
): Record<string, unknown> {
  const width = dim('visual.conv1.weight', 0);
  const patch = dim('visual.conv1.weight', 3);
  const tokens = dim('visual.positional_embedding', 0);
  const grid = Math.round(Math.sqrt(tokens - 1));
  if (grid * grid + 1 !== tokens) {
    throw new ConvertError(
      'CANNOT_INFER',
      `cannot infer the image size: visual.positional_embedding has ${tokens} tokens, not a square grid plus a class token; pass --model ARCH`,
    );
  }
  const heads = headsFromAttributes(attributes, 'visual.transformer');
  const cfg: Record<string, unknown> = {
    image_size: patch * grid,
    layers: countIndices(shapes, 'visual.transformer.resblocks.'),
    width,
    patch_size: patch,
  };
  if (heads !== undefined) cfg.head_width = width / heads;
  else
    guesses.push(
      `vision_cfg.head_width = 64 (heads = ${Math.max(1, Math.floor(width / 64))}; heads are not visible in weights)`,
    );
  const mlp = shapes.get('visual.transformer.resblocks.0.mlp.c_fc.weight');
  if (mlp && mlp[0] !== 4 * width) cfg.mlp_ratio = (mlp[0] as number) / width;
  if (!shapes.has('visual.ln_pre.weight')) cfg.no_ln_pre = true;
  if (shapes.has('visual.transformer.resblocks.0.ls_1.gamma')) cfg.ls_init_value = 1e-5;
  if (shapes.has('visual.attn_pool.query')) {
    cfg.attentional_pool = true;
    cfg.attn_pooler_queries = dim('visual.attn_pool.query', 0);
    guesses.push('vision_cfg.attn_pooler_heads = 8 (open_clip default; heads are not visible in weights)');
  }
  if (!shapes.has('visual.proj')) cfg.output_dim = width;
  else need('visual.proj');
  guesses.push(
    "vision_cfg.pool_type = 'tok' and final_ln_after_pool = false (open_clip defaults): not visible in weights",
  );
  return cfg;
}

function inferResNet(
  shapes: Map<string, readonly number[]>,
  dim: (n: string, a: number) => number,
  attributes: ModuleAttributes,
  guesses: string[],
): Record<string, unknown> {
  const layers = [1, 2, 3, 4].map((b) => countIndices(shapes, `visual.layer${b}.`));
  const width = dim('visual.layer1.0.conv1.weight', 0);
  const outputWidth = Math.round(Math.sqrt(dim('visual.attnpool.positional_embedding', 0) - 1));
  const heads = headsFromAttributes(attributes, 'visual.attnpool');
  const cfg: Record<string, unknown> = { image_size: outputWidth * 32, layers, width, patch_size: null };
  if (heads !== undefined) cfg.head_width = (width * 32) / heads;
  else
    guesses.push(
      `vision_cfg.head_width = 64 (attention-pool heads = ${(width * 32) / 64}; heads are not visible in weights)`,
    );
  return cfg;
}
