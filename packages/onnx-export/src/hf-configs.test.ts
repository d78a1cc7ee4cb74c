import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasOracle, pythonJson, sharedUpstream } from '#test-support';
import { t5Bucket } from './build-hf-text.js';
import { HF_TEXT_CONFIGS, knownHfConfig } from './hf-configs.js';
import { resolveText } from './resolve-config.js';
import type { HfTextSpec } from './resolve-hf-text.js';

// ../shared/upstream holds open_clip's tree and this list of the HF towers' public config values
const upstream = sharedUpstream ? path.join(path.dirname(sharedUpstream), 'hf-text-configs.json') : '';

describe('shipped Hugging Face text tower configs', () => {
  it('are the public config.json values of every hf_model_name open_clip 3.3.0 names', () => {
    expect(Object.keys(HF_TEXT_CONFIGS).sort()).toEqual([
      'facebook/nllb-200-distilled-1.3B',
      'facebook/nllb-200-distilled-600M',
      'google/mt5-base',
      'google/mt5-xl',
      'roberta-base',
      'xlm-roberta-base',
      'xlm-roberta-large',
    ]);
    expect(knownHfConfig('my-org/unknown')).toBeNull();
    expect(knownHfConfig('toString')).toBeNull();
    if (upstream && existsSync(upstream)) {
      const facts = JSON.parse(readFileSync(upstream, 'utf8')) as Record<string, unknown>;
      delete facts._about;
      expect(HF_TEXT_CONFIGS).toEqual(facts);
    }
  });

  // transformers builds each config (AutoConfig.for_model), open_clip's HFTextEncoder reads it; the
  // exporter's reading of the same values must agree on every size and constant it uses.
  it.skipIf(!hasOracle)('resolve to the towers transformers and open_clip build from them', () => {
    const names = Object.keys(HF_TEXT_CONFIGS);
    const oracle = pythonJson<Record<string, Record<string, unknown>>>(
      `
import json, math, sys, transformers
out = {}
for name, values in json.loads(sys.argv[1]).items():
    v = dict(values)
    c = transformers.AutoConfig.for_model(v.pop("model_type"), **v)
    m2m = c.model_type == "m2m_100"
    if c.model_type == "mt5":
        out[name] = dict(width=c.d_model, layers=c.num_layers, heads=c.num_heads, ffn=c.d_ff, act=c.dense_act_fn,
            eps=c.layer_norm_epsilon, vocab=c.vocab_size, padId=c.pad_token_id, maxPositions=0, embedScale=1.0,
            typeVocab=0, t5=dict(dKv=c.d_kv, buckets=c.relative_attention_num_buckets,
            maxDistance=c.relative_attention_max_distance, gated=c.is_gated_act))
        continue
    out[name] = dict(
        width=c.d_model if m2m else c.hidden_size,
        layers=c.encoder_layers if m2m else c.num_hidden_layers,
        heads=c.encoder_attention_heads if m2m else c.num_attention_heads,
        ffn=c.encoder_ffn_dim if m2m else c.intermediate_size,
        act=c.activation_function if m2m else c.hidden_act,
        eps=1e-5 if m2m else c.layer_norm_eps,
        vocab=c.vocab_size, padId=c.pad_token_id, maxPositions=c.max_position_embeddings,
        embedScale=(math.sqrt(c.d_model) if c.scale_embedding else 1.0) if m2m else 1.0,
        typeVocab=0 if m2m else c.type_vocab_size)
# T5's position buckets for every distance a 77-token context has, as transformers computes them
from transformers.models.mt5.modeling_mt5 import MT5Attention
import torch
rel = torch.arange(-76, 77)
out["_buckets"] = MT5Attention._relative_position_bucket(rel, bidirectional=True, num_buckets=32, max_distance=128).tolist()
print(json.dumps(out))
`,
      [JSON.stringify(Object.fromEntries(names.map((n) => [n, HF_TEXT_CONFIGS[n]])))],
    );
    for (const name of names) {
      const s = resolveText({ embed_dim: 512, vision_cfg: {}, text_cfg: { hf_model_name: name } }) as HfTextSpec;
      const o = oracle[name] as Record<string, unknown>;
      const act = { gelu: 'gelu', relu: 'relu', gelu_new: 'gelu_tanh' }[o.act as string];
      expect(
        {
          width: s.width,
          layers: s.layers,
          heads: s.heads,
          ffn: s.ffn,
          act: s.activation,
          eps: s.eps,
          vocab: s.vocab,
          padId: s.padId,
          maxPositions: s.maxPositions,
          embedScale: s.embedScale,
          typeVocab: s.typeVocab,
          ...(s.t5 ? { t5: s.t5 } : {}),
        },
        name,
      ).toEqual({ ...o, act });
    }
    const distances = Array.from({ length: 153 }, (_, i) => i - 76);
    expect(distances.map((d) => t5Bucket(d, 32, 128))).toEqual(oracle._buckets);
  });
});
