import { describe, expect, it } from 'vitest';
import { hfTextWeights } from './expected-weights.js';
import { OnnxExportError, type ExportOptions, type ModelCfg } from './index.js';
import { resolveHfText } from './resolve-hf-text.js';
import { exportFailure } from './test-utils/export-failure.js';
import { type MemTensor, TINY_CFG } from './test-utils/memory-source.js';

const HF: Record<string, unknown> = {
  model_type: 'xlm-roberta',
  vocab_size: 50,
  hidden_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 12,
  type_vocab_size: 1,
  layer_norm_eps: 1e-5,
  pad_token_id: 1,
};
const CFG: ModelCfg = { ...TINY_CFG, text_cfg: { hf_model_name: 'my-org/my-xlmr', context_length: 8 } };

function hfWeights(): Map<string, MemTensor> {
  const out = new Map<string, MemTensor>();
  for (const [name, shape] of hfTextWeights(resolveHfText(CFG, CFG.text_cfg, HF))) {
    const n = (shape ?? []).reduce((a, b) => a * b, 1);
    const f = Float32Array.from({ length: n }, (_, i) => Math.sin(i + name.length) * 0.1);
    out.set(name, { dtype: 'F32', shape: shape ?? [], data: new Uint8Array(f.buffer) });
  }
  out.set('logit_scale', { dtype: 'F32', shape: [], data: new Uint8Array(4) });
  return out;
}

const run = (tensors: Map<string, MemTensor>, options: ExportOptions) =>
  exportFailure(CFG, tensors, { towers: ['text'], ...options });

describe('Hugging Face text towers: bad input', () => {
  it('an HF tower whose config is unknown: exit 2 with the fix, no files', async () => {
    const { err, files } = await run(hfWeights(), {});
    expect(err).toBeInstanceOf(OnnxExportError);
    expect((err as OnnxExportError).code).toBe('HF_CONFIG_UNKNOWN');
    expect((err as OnnxExportError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/my-org\/my-xlmr.*config\.json beside the checkpoint.*--hf-config FILE/);
    expect(files).toEqual([]);
  });

  it('the same tower exports when its config.json values are given', async () => {
    const { err, files } = await run(hfWeights(), { hfConfig: HF });
    expect(err).toBeNull();
    expect(files).toEqual(['text.onnx']);
  });

  it('keys that do not fit the HF layout: exit 2 listing them, no files', async () => {
    const t = hfWeights();
    t.delete('text.transformer.encoder.layer.0.attention.self.key.bias');
    t.set('text.transformer.encoder.layer.0.attention.self.qkv.weight', {
      dtype: 'F32',
      shape: [48, 16],
      data: new Uint8Array(48 * 16 * 4),
    });
    t.set('text.proj.0.weight', { dtype: 'F32', shape: [16, 17], data: new Uint8Array(16 * 17 * 4) });
    const { err, files } = await run(t, { hfConfig: HF });
    expect((err as OnnxExportError).code).toBe('WEIGHTS_MISMATCH');
    expect((err as OnnxExportError).exitCode).toBe(2);
    const msg = (err as Error).message;
    expect(msg).toMatch(/missing text\.transformer\.encoder\.layer\.0\.attention\.self\.key\.bias/);
    expect(msg).toMatch(/unexpected text\.transformer\.encoder\.layer\.0\.attention\.self\.qkv\.weight/);
    expect(msg).toMatch(/wrong text\.proj\.0\.weight \[16,17\]/);
    expect(files).toEqual([]);
  });
});
