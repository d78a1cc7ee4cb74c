import type { ResNetSpec, TextSpec, TimmEvaSpec, TimmVitSpec, VitSpec } from './resolve-config.js';
import type { HfTextSpec } from './resolve-hf-text.js';
import type { ConvNextSpec } from './timm-convnext.js';
import type { SwinSpec } from './timm-swin.js';
import { mbConvMid, type ViTaminSpec, viTaminGrid } from './timm-vitamin.js';

/** name -> shape; `null` shape means "any shape and dtype" (bookkeeping tensors like num_batches_tracked). */
export type WeightShapes = Map<string, number[] | null>;

function blocks(out: WeightShapes, p: string, layers: number, width: number, mlp: number, layerScale: boolean): void {
  for (let i = 0; i < layers; i++) {
    const b = `${p}transformer.resblocks.${i}.`;
    out.set(`${b}ln_1.weight`, [width]).set(`${b}ln_1.bias`, [width]);
    out.set(`${b}attn.in_proj_weight`, [3 * width, width]).set(`${b}attn.in_proj_bias`, [3 * width]);
    out.set(`${b}attn.out_proj.weight`, [width, width]).set(`${b}attn.out_proj.bias`, [width]);
    out.set(`${b}ln_2.weight`, [width]).set(`${b}ln_2.bias`, [width]);
    out.set(`${b}mlp.c_fc.weight`, [mlp, width]).set(`${b}mlp.c_fc.bias`, [mlp]);
    out.set(`${b}mlp.c_proj.weight`, [width, mlp]).set(`${b}mlp.c_proj.bias`, [width]);
    if (layerScale) out.set(`${b}ls_1.gamma`, [width]).set(`${b}ls_2.gamma`, [width]);
  }
}

export function vitWeights(s: VitSpec): WeightShapes {
  const out: WeightShapes = new Map();
  const w = s.width;
  out.set('visual.conv1.weight', [w, 3, s.patch[0], s.patch[1]]);
  out.set('visual.class_embedding', [w]);
  out.set('visual.positional_embedding', [s.grid[0] * s.grid[1] + 1, w]);
  if (s.lnPre) out.set('visual.ln_pre.weight', [w]).set('visual.ln_pre.bias', [w]);
  blocks(out, 'visual.', s.layers, w, s.mlpWidth, s.layerScale);
  let poolDim = w;
  if (s.attnPool) {
    const e = s.outputDim;
    poolDim = e;
    out.set('visual.attn_pool.query', [s.attnPool.queries, e]);
    if (w === e) out.set('visual.attn_pool.attn.in_proj_weight', [3 * e, e]);
    else {
      out.set('visual.attn_pool.attn.q_proj_weight', [e, e]);
      out.set('visual.attn_pool.attn.k_proj_weight', [e, w]);
      out.set('visual.attn_pool.attn.v_proj_weight', [e, w]);
    }
    out.set('visual.attn_pool.attn.in_proj_bias', [3 * e]);
    out.set('visual.attn_pool.attn.out_proj.weight', [e, e]).set('visual.attn_pool.attn.out_proj.bias', [e]);
    out.set('visual.attn_pool.ln_q.weight', [e]).set('visual.attn_pool.ln_q.bias', [e]);
    out.set('visual.attn_pool.ln_k.weight', [w]).set('visual.attn_pool.ln_k.bias', [w]);
  }
  out.set('visual.ln_post.weight', [poolDim]).set('visual.ln_post.bias', [poolDim]);
  out.set('visual.proj', [poolDim, s.outputDim]);
  return out;
}

function bn(out: WeightShapes, p: string, c: number): void {
  for (const k of ['weight', 'bias', 'running_mean', 'running_var']) out.set(`${p}.${k}`, [c]);
  out.set(`${p}.num_batches_tracked`, null);
}

/** The ModifiedResNet bottleneck layout: [stage][block] -> {inplanes, planes, stride, downsample}. */
export function resnetBlocks(
  s: ResNetSpec,
): Array<Array<{ inplanes: number; planes: number; stride: number; downsample: boolean }>> {
  let inplanes = s.width;
  return s.layers.map((n, stage) => {
    const planes = s.width * 2 ** stage;
    const stride = stage === 0 ? 1 : 2;
    return Array.from({ length: n }, (_, j) => {
      const st = j === 0 ? stride : 1;
      const blk = { inplanes, planes, stride: st, downsample: st > 1 || inplanes !== planes * 4 };
      inplanes = planes * 4;
      return blk;
    });
  });
}

export function resnetWeights(s: ResNetSpec): WeightShapes {
  const out: WeightShapes = new Map();
  const h = s.width / 2;
  out.set('visual.conv1.weight', [h, 3, 3, 3]);
  bn(out, 'visual.bn1', h);
  out.set('visual.conv2.weight', [h, h, 3, 3]);
  bn(out, 'visual.bn2', h);
  out.set('visual.conv3.weight', [s.width, h, 3, 3]);
  bn(out, 'visual.bn3', s.width);
  resnetBlocks(s).forEach((stage, i) =>
    stage.forEach((b, j) => {
      const p = `visual.layer${i + 1}.${j}`;
      out.set(`${p}.conv1.weight`, [b.planes, b.inplanes, 1, 1]);
      bn(out, `${p}.bn1`, b.planes);
      out.set(`${p}.conv2.weight`, [b.planes, b.planes, 3, 3]);
      bn(out, `${p}.bn2`, b.planes);
      out.set(`${p}.conv3.weight`, [b.planes * 4, b.planes, 1, 1]);
      bn(out, `${p}.bn3`, b.planes * 4);
      if (b.downsample) {
        out.set(`${p}.downsample.0.weight`, [b.planes * 4, b.inplanes, 1, 1]);
        bn(out, `${p}.downsample.1`, b.planes * 4);
      }
    }),
  );
  const c = s.width * 32;
  const sp = Math.floor(s.image / 32);
  out.set('visual.attnpool.positional_embedding', [sp * sp + 1, c]);
  for (const k of ['q', 'k', 'v'])
    out.set(`visual.attnpool.${k}_proj.weight`, [c, c]).set(`visual.attnpool.${k}_proj.bias`, [c]);
  out.set('visual.attnpool.c_proj.weight', [s.outputDim, c]).set('visual.attnpool.c_proj.bias', [s.outputDim]);
  return out;
}

export function textWeights(s: TextSpec | HfTextSpec): WeightShapes {
  if ('kind' in s) return hfTextWeights(s);
  const out: WeightShapes = new Map();
  const p = s.prefix;
  out.set(`${p}token_embedding.weight`, [s.vocab, s.width]);
  out.set(`${p}positional_embedding`, [s.context + (s.cls ? 1 : 0), s.width]);
  if (s.cls) out.set(`${p}cls_emb`, [s.width]);
  blocks(out, p, s.layers, s.width, s.mlpWidth, s.layerScale);
  out.set(`${p}ln_final.weight`, [s.width]).set(`${p}ln_final.bias`, [s.width]);
  if (s.proj === 'matrix') out.set(`${p}text_projection`, [s.width, s.outputDim]);
  if (s.proj === 'linear')
    out.set(`${p}text_projection.weight`, [s.outputDim, s.width]).set(`${p}text_projection.bias`, [s.outputDim]);
  return out;
}

export function timmVitWeights(s: TimmVitSpec): WeightShapes {
  const out: WeightShapes = new Map();
  const w = s.width;
  const m = s.mlpWidth;
  const t = 'visual.trunk.';
  const ln = (n: string) => out.set(`${n}.weight`, [w]).set(`${n}.bias`, [w]);
  const lin = (n: string, o: number, i: number) => out.set(`${n}.weight`, [o, i]).set(`${n}.bias`, [o]);
  out.set(`${t}patch_embed.proj.weight`, [w, 3, s.patch, s.patch]).set(`${t}patch_embed.proj.bias`, [w]);
  if (s.relPosDim) out.set(`${t}cls_token`, [1, 1, w]);
  else out.set(`${t}pos_embed`, [1, Math.floor(s.image / s.patch) ** 2, w]);
  for (let i = 0; i < s.layers; i++) {
    const b = `${t}blocks.${i}.`;
    ln(`${b}norm1`);
    if (s.noQkvBias) out.set(`${b}attn.qkv.weight`, [3 * w, w]);
    else lin(`${b}attn.qkv`, 3 * w, w);
    lin(`${b}attn.proj`, w, w);
    ln(`${b}norm2`);
    lin(`${b}mlp.fc1`, m, w);
    lin(`${b}mlp.fc2`, w, m);
    if (s.layerScale) out.set(`${b}ls1.gamma`, [w]).set(`${b}ls2.gamma`, [w]);
    if (s.relPosDim) {
      lin(`${b}attn.rel_pos.mlp.fc1`, s.relPosDim, 2);
      lin(`${b}attn.rel_pos.mlp.fc2`, s.heads, s.relPosDim);
    }
  }
  ln(`${t}norm`);
  if (!s.pool) mapHeadWeights(out, s);
  if (s.proj === 'linear') {
    out.set('visual.head.proj.weight', [s.outputDim, w]);
    if (s.projBias) out.set('visual.head.proj.bias', [s.outputDim]);
  }
  return out;
}

/** timm's MAP head (AttentionPoolLatent) keys. */
function mapHeadWeights(out: WeightShapes, s: TimmVitSpec): void {
  const w = s.width;
  const m = s.mlpWidth;
  const ln = (n: string) => out.set(`${n}.weight`, [w]).set(`${n}.bias`, [w]);
  const lin = (n: string, o: number, i: number) => out.set(`${n}.weight`, [o, i]).set(`${n}.bias`, [o]);
  const p = 'visual.trunk.attn_pool.';
  out.set(`${p}latent`, [1, 1, w]);
  lin(`${p}q`, w, w);
  lin(`${p}kv`, 2 * w, w);
  lin(`${p}proj`, w, w);
  ln(`${p}norm`);
  lin(`${p}mlp.fc1`, m, w);
  lin(`${p}mlp.fc2`, w, m);
}

/** open_clip HFTextEncoder keys: `text.transformer.` (the HF encoder) and `text.proj`. */
export function hfTextWeights(s: HfTextSpec): WeightShapes {
  const out: WeightShapes = new Map();
  const p = s.prefix;
  const w = s.width;
  const ln = (n: string) => out.set(`${n}.weight`, [w]).set(`${n}.bias`, [w]);
  const lin = (n: string, o: number, i: number) => out.set(`${n}.weight`, [o, i]).set(`${n}.bias`, [o]);
  if (s.arch === 'roberta') {
    out.set(`${p}embeddings.word_embeddings.weight`, [s.vocab, w]);
    out.set(`${p}embeddings.position_embeddings.weight`, [s.maxPositions, w]);
    out.set(`${p}embeddings.token_type_embeddings.weight`, [s.typeVocab, w]);
    ln(`${p}embeddings.LayerNorm`);
    for (let i = 0; i < s.layers; i++) {
      const b = `${p}encoder.layer.${i}.`;
      for (const k of ['query', 'key', 'value']) lin(`${b}attention.self.${k}`, w, w);
      lin(`${b}attention.output.dense`, w, w);
      ln(`${b}attention.output.LayerNorm`);
      lin(`${b}intermediate.dense`, s.ffn, w);
      lin(`${b}output.dense`, w, s.ffn);
      ln(`${b}output.LayerNorm`);
    }
    if (s.pooler === 'pooler') lin(`${p}pooler.dense`, w, w);
  } else if (s.t5) {
    const inner = s.heads * s.t5.dKv;
    out.set(`${p}embed_tokens.weight`, [s.vocab, w]);
    for (let i = 0; i < s.layers; i++) {
      const b = `${p}block.${i}.layer.`;
      for (const k of ['q', 'k', 'v']) out.set(`${b}0.SelfAttention.${k}.weight`, [inner, w]);
      out.set(`${b}0.SelfAttention.o.weight`, [w, inner]);
      if (i === 0) out.set(`${b}0.SelfAttention.relative_attention_bias.weight`, [s.t5.buckets, s.heads]);
      out.set(`${b}0.layer_norm.weight`, [w]).set(`${b}1.layer_norm.weight`, [w]);
      const ff = `${b}1.DenseReluDense.`;
      for (const k of s.t5.gated ? ['wi_0', 'wi_1'] : ['wi']) out.set(`${ff}${k}.weight`, [s.ffn, w]);
      out.set(`${ff}wo.weight`, [w, s.ffn]);
    }
    out.set(`${p}final_layer_norm.weight`, [w]);
  } else {
    out.set(`${p}embed_tokens.weight`, [s.vocab, w]);
    for (let i = 0; i < s.layers; i++) {
      const b = `${p}layers.${i}.`;
      for (const k of ['q', 'k', 'v', 'out']) lin(`${b}self_attn.${k}_proj`, w, w);
      ln(`${b}self_attn_layer_norm`);
      lin(`${b}fc1`, s.ffn, w);
      lin(`${b}fc2`, w, s.ffn);
      ln(`${b}final_layer_norm`);
    }
    ln(`${p}layer_norm`);
  }
  if (s.proj === 'linear') out.set('text.proj.weight', [s.outputDim, w]);
  if (s.proj === 'mlp')
    out.set('text.proj.0.weight', [s.projHidden, w]).set('text.proj.2.weight', [s.outputDim, s.projHidden]);
  return out;
}

/**
 * Tensors an HF text checkpoint may carry that the tower does not read: position_ids buffers older
 * transformers saved, and RoBERTa's pooling layer when the mean pooler ignores it.
 */
export function hfTextOptional(s: HfTextSpec): string[] {
  const p = s.prefix;
  if (s.arch === 't5') return [];
  if (s.arch !== 'roberta') return [`${p}embed_positions.weights`, `${p}embed_positions._float_tensor`];
  return [
    `${p}embeddings.position_ids`,
    `${p}embeddings.token_type_ids`,
    ...(s.pooler === 'pooler' ? [] : [`${p}pooler.dense.weight`, `${p}pooler.dense.bias`]),
  ];
}

export function timmEvaWeights(s: TimmEvaSpec): WeightShapes {
  const out: WeightShapes = new Map();
  const w = s.width;
  const m = s.mlpWidth;
  const t = 'visual.trunk.';
  const grid = Math.floor(s.image / s.patch);
  const ln = (n: string, d = w) => out.set(`${n}.weight`, [d]).set(`${n}.bias`, [d]);
  const lin = (n: string, o: number, i: number, bias = true) => {
    out.set(`${n}.weight`, [o, i]);
    if (bias) out.set(`${n}.bias`, [o]);
  };
  out.set(`${t}patch_embed.proj.weight`, [w, 3, s.patch, s.patch]);
  if (!s.preNorm) out.set(`${t}patch_embed.proj.bias`, [w]);
  if (s.classToken) out.set(`${t}cls_token`, [1, 1, w]);
  out.set(`${t}pos_embed`, [1, grid * grid + (s.classToken ? 1 : 0), w]);
  if (s.preNorm) ln(`${t}norm_pre`);
  for (let i = 0; i < s.depth; i++) {
    const b = `${t}blocks.${i}.`;
    ln(`${b}norm1`);
    ln(`${b}norm2`);
    if (s.qkv === 'separate') {
      lin(`${b}attn.q_proj`, w, w);
      lin(`${b}attn.k_proj`, w, w, false);
      lin(`${b}attn.v_proj`, w, w);
    } else {
      lin(`${b}attn.qkv`, 3 * w, w, s.qkv === 'fused');
      if (s.qkv === 'qv-bias') out.set(`${b}attn.q_bias`, [w]).set(`${b}attn.v_bias`, [w]);
    }
    if (s.attnNorm) ln(`${b}attn.norm`);
    lin(`${b}attn.proj`, w, w);
    if (s.swiglu) {
      lin(`${b}mlp.fc1_g`, m, w);
      lin(`${b}mlp.fc1_x`, m, w);
      ln(`${b}mlp.norm`, m);
    } else lin(`${b}mlp.fc1`, m, w);
    lin(`${b}mlp.fc2`, w, m);
  }
  ln(`${t}norm`);
  if (s.pool === 'map') {
    const p = `${t}attn_pool.`;
    out.set(`${p}latent`, [1, 1, w]);
    lin(`${p}q`, w, w);
    lin(`${p}kv`, 2 * w, w);
    lin(`${p}proj`, w, w);
    ln(`${p}norm`);
    lin(`${p}mlp.fc1`, s.attnPoolMlpWidth, w);
    lin(`${p}mlp.fc2`, w, s.attnPoolMlpWidth);
  }
  if (s.proj === 'head') lin(`${t}head`, s.outputDim, w);
  if (s.proj === 'linear') lin('visual.head.proj', s.outputDim, w, s.projBias);
  return out;
}

/** timm ConvNeXt trunk under open_clip's TimmModel head (keys under visual.trunk. and visual.head.). */
export function convNextWeights(s: ConvNextSpec): WeightShapes {
  const out: WeightShapes = new Map();
  const t = 'visual.trunk.';
  const vec = (n: string, d: number) => out.set(`${n}.weight`, [d]).set(`${n}.bias`, [d]);
  const lin = (n: string, o: number, i: number, bias = true) => {
    out.set(`${n}.weight`, [o, i]);
    if (bias) out.set(`${n}.bias`, [o]);
  };
  const d0 = s.dims[0] as number;
  out.set(`${t}stem.0.weight`, [d0, 3, 4, 4]).set(`${t}stem.0.bias`, [d0]);
  vec(`${t}stem.1`, d0);
  s.dims.forEach((d, i) => {
    const st = `${t}stages.${i}.`;
    if (i > 0) {
      const prev = s.dims[i - 1] as number;
      vec(`${st}downsample.0`, prev);
      out.set(`${st}downsample.1.weight`, [d, prev, 2, 2]).set(`${st}downsample.1.bias`, [d]);
    }
    for (let j = 0; j < (s.depths[i] as number); j++) {
      const b = `${st}blocks.${j}.`;
      out.set(`${b}conv_dw.weight`, [d, 1, 7, 7]).set(`${b}conv_dw.bias`, [d]);
      vec(`${b}norm`, d);
      lin(`${b}mlp.fc1`, 4 * d, d);
      lin(`${b}mlp.fc2`, d, 4 * d);
      out.set(`${b}gamma`, [d]);
    }
  });
  const c = s.dims[s.dims.length - 1] as number;
  vec(`${t}head.norm`, c);
  timmHeadWeights(out, s, c);
  return out;
}

/** open_clip's TimmModel head keys (linear head.proj or head.mlp) on `inDim` pooled features. */
function timmHeadWeights(out: WeightShapes, s: ViTaminSpec | ConvNextSpec | SwinSpec, inDim: number): void {
  const e = s.outputDim;
  if (s.proj === 'linear') {
    out.set('visual.head.proj.weight', [e, inDim]);
    if (s.projBias) out.set('visual.head.proj.bias', [e]);
    return;
  }
  out.set('visual.head.mlp.fc1.weight', [2 * e, inDim]).set('visual.head.mlp.fc1.bias', [2 * e]);
  out.set('visual.head.mlp.fc2.weight', [e, 2 * e]);
  if (s.projBias) out.set('visual.head.mlp.fc2.bias', [e]);
}

/** timm ViTamin (MbConv stages, strided conv, GeGLU ViT, fc_norm) under open_clip's TimmModel head. */
export function viTaminWeights(s: ViTaminSpec): WeightShapes {
  const out: WeightShapes = new Map();
  const vec = (n: string, d: number) => out.set(`${n}.weight`, [d]).set(`${n}.bias`, [d]);
  const conv = (n: string, o: number, i: number, k: number) =>
    out.set(`${n}.weight`, [o, i, k, k]).set(`${n}.bias`, [o]);
  const lin = (n: string, o: number, i: number) => out.set(`${n}.weight`, [o, i]).set(`${n}.bias`, [o]);
  const b = 'visual.trunk.patch_embed.backbone.';
  conv(`${b}stem.conv1`, s.stem, 3, 3);
  vec(`${b}stem.norm1`, s.stem);
  conv(`${b}stem.conv2`, s.stem, s.stem, 3);
  let inCh = s.stem;
  s.dims.forEach((d, i) => {
    const mid = mbConvMid(d);
    for (let j = 0; j < (s.depths[i] as number); j++) {
      const p = `${b}stages.${i}.${j}.`;
      if (inCh !== d) conv(j === 0 ? `${p}shortcut.expand` : `${p}shortcut`, d, inCh, 1);
      vec(`${p}pre_norm`, inCh);
      conv(`${p}conv1_1x1`, mid, inCh, 1);
      out.set(`${p}conv2_kxk.weight`, [mid, 1, 3, 3]).set(`${p}conv2_kxk.bias`, [mid]);
      conv(`${p}conv3_1x1`, d, mid, 1);
      inCh = d;
    }
  });
  const w = s.width;
  vec(`${b}pool.norm`, inCh);
  conv(`${b}pool.proj`, w, inCh, 3);
  if (s.posEmbed) out.set('visual.trunk.pos_embed', [1, viTaminGrid(s.image) ** 2, w]);
  for (let i = 0; i < s.layers; i++) {
    const p = `visual.trunk.blocks.${i}.`;
    vec(`${p}norm1`, w);
    lin(`${p}attn.qkv`, 3 * w, w);
    lin(`${p}attn.proj`, w, w);
    vec(`${p}norm2`, w);
    vec(`${p}mlp.norm`, w);
    lin(`${p}mlp.w0`, s.mlpWidth, w);
    lin(`${p}mlp.w1`, s.mlpWidth, w);
    lin(`${p}mlp.w2`, w, s.mlpWidth);
  }
  vec('visual.trunk.fc_norm', w);
  timmHeadWeights(out, s, w);
  return out;
}

/** timm Swin Transformer trunk under open_clip's TimmModel head (keys under visual.trunk. and visual.head.). */
export function swinWeights(s: SwinSpec): WeightShapes {
  const out: WeightShapes = new Map();
  const t = 'visual.trunk.';
  const vec = (n: string, d: number) => out.set(`${n}.weight`, [d]).set(`${n}.bias`, [d]);
  const lin = (n: string, o: number, i: number) => out.set(`${n}.weight`, [o, i]).set(`${n}.bias`, [o]);
  const d0 = s.dims[0] as number;
  out.set(`${t}patch_embed.proj.weight`, [d0, 3, s.patch, s.patch]).set(`${t}patch_embed.proj.bias`, [d0]);
  vec(`${t}patch_embed.norm`, d0);
  s.dims.forEach((d, i) => {
    const lp = `${t}layers.${i}.`;
    if (i > 0) {
      const prev = s.dims[i - 1] as number;
      vec(`${lp}downsample.norm`, 4 * prev);
      out.set(`${lp}downsample.reduction.weight`, [d, 4 * prev]);
    }
    const w = s.windows[i] as number;
    const m = s.mlpWidths[i] as number;
    for (let j = 0; j < (s.depths[i] as number); j++) {
      const b = `${lp}blocks.${j}.`;
      vec(`${b}norm1`, d);
      out.set(`${b}attn.relative_position_bias_table`, [(2 * w - 1) ** 2, s.heads[i] as number]);
      lin(`${b}attn.qkv`, 3 * d, d);
      lin(`${b}attn.proj`, d, d);
      vec(`${b}norm2`, d);
      lin(`${b}mlp.fc1`, m, d);
      lin(`${b}mlp.fc2`, d, m);
    }
  });
  const c = s.dims[s.dims.length - 1] as number;
  vec(`${t}norm`, c);
  timmHeadWeights(out, s, c);
  return out;
}
