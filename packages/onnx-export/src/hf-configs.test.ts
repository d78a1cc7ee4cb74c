import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasOracle, pythonJson, sharedUpstream } from '#test-support';
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
    const names = Object.keys(HF_TEXT_CONFIGS).filter((n) => !n.startsWith('google/mt5'));
    const oracle = pythonJson<Record<string, Record<string, number | string | boolean>>>(
      `
import json, math, sys, transformers
out = {}
for name, values in json.loads(sys.argv[1]).items():
    v = dict(values)
    c = transformers.AutoConfig.for_model(v.pop("model_type"), **v)
    m2m = c.model_type == "m2m_100"
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
print(json.dumps(out))
`,
      [JSON.stringify(Object.fromEntries(names.map((n) => [n, HF_TEXT_CONFIGS[n]])))],
    );
    for (const name of names) {
      const s = resolveText({ embed_dim: 512, vision_cfg: {}, text_cfg: { hf_model_name: name } }) as HfTextSpec;
      const o = oracle[name] as Record<string, number | string | boolean>;
      const act = { gelu: 'gelu', relu: 'relu' }[o.act as string];
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
        },
        name,
      ).toEqual({ ...o, act });
    }
  });
});
