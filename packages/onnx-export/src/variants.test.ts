import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasOracle, runPython, tempDir } from '#test-support';
import { compare, embedImages, embedTexts, exportFixture, loadReference } from '#test-support/onnx-fidelity.js';

// Tower options the shared fixtures do not cover, built here by real open_clip from model_cfg dicts.
const CASES: Record<string, Record<string, unknown>> = {
  // text: 'eos' pooling, no projection (proj_type none); vision: avg pool with final LN after pooling
  'eos-noproj-avgfinal': {
    embed_dim: 16,
    vision_cfg: {
      image_size: 32,
      layers: 1,
      width: 32,
      head_width: 16,
      patch_size: 8,
      pool_type: 'avg',
      final_ln_after_pool: true,
    },
    text_cfg: {
      context_length: 12,
      vocab_size: 300,
      width: 16,
      heads: 2,
      layers: 1,
      pool_type: 'eos',
      eos_id: 7,
      proj_type: 'none',
    },
  },
  // text: 'first' pooling with layer scale; vision: attentional pool whose width equals embed_dim (packed
  // in_proj_weight), 4 queries averaged, non-square image and patches
  'first-packedpool': {
    embed_dim: 32,
    quick_gelu: true,
    vision_cfg: {
      image_size: [32, 48],
      layers: 1,
      width: 32,
      head_width: 8,
      patch_size: [8, 16],
      attentional_pool: true,
      attn_pooler_queries: 4,
      attn_pooler_heads: 4,
      pool_type: 'avg',
      mlp_ratio: 2.5,
    },
    text_cfg: {
      context_length: 10,
      vocab_size: 300,
      width: 24,
      heads: 3,
      layers: 2,
      pool_type: 'first',
      ls_init_value: 0.5,
    },
  },
};

const MAKE = `
import json, os, sys, torch, open_clip
from pathlib import Path
from open_clip.push_to_hf_hub import save_config_for_hf
from safetensors.torch import save_file
out, cases = sys.argv[1], json.loads(sys.argv[2])
cfg_dir = os.path.join(out, 'configs'); os.makedirs(cfg_dir, exist_ok=True)
for name, cfg in cases.items():
    json.dump(cfg, open(os.path.join(cfg_dir, name + '.json'), 'w'))
open_clip.add_model_config(cfg_dir)
for i, (name, cfg) in enumerate(cases.items()):
    d = os.path.join(out, name); os.makedirs(d)
    model = open_clip.create_model(name).eval()
    g = torch.Generator().manual_seed(i)
    with torch.no_grad():
        for k, p in model.state_dict().items():
            if p.is_floating_point() and k != 'logit_scale': p.add_(torch.randn(p.shape, generator=g) * 0.05)
    size = cfg['vision_cfg']['image_size']; h, w = size if isinstance(size, list) else (size, size)
    tc = cfg['text_cfg']
    pixels = torch.randn(3, 3, h, w, generator=g)
    ids = torch.randint(8, tc['vocab_size'], (3, tc['context_length']), generator=g)
    ids[0, 4] = 7; ids[1, 9] = 7; ids[1, 2] = 7  # eos positions (the first one counts); row 2 has none
    with torch.no_grad():
        ref = {'inputs.pixel_values': pixels, 'inputs.input_ids': ids, 'cpu_fp32.image_embeds': model.encode_image(pixels),
               'cpu_fp32.text_embeds': model.encode_text(ids), 'logit_scale': model.logit_scale.detach().clone()}
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(d, 'open_clip_model.safetensors'))
    save_file({k: v.contiguous() for k, v in ref.items()}, os.path.join(d, 'reference.safetensors'))
    save_config_for_hf(model, Path(d) / 'open_clip_config.json', cfg)
`;

describe.skipIf(!hasOracle)('more tower options, against open_clip', () => {
  const scratch = tempDir('cliphub-onnx-variants-');
  afterAll(() => scratch.cleanup());
  let made = false;
  for (const name of Object.keys(CASES)) {
    it(`${name}: fp32 matches open_clip cpu_fp32`, async () => {
      if (!made) {
        runPython(MAKE, [scratch.dir, JSON.stringify(CASES)]);
        made = true;
      }
      const dir = path.join(scratch.dir, name);
      const out = path.join(dir, 'onnx');
      await exportFixture(dir, out);
      const ref = await loadReference(path.join(dir, 'reference.safetensors'));
      for (const [got, want] of [
        [await embedImages(path.join(out, 'vision.onnx'), ref), ref.image.data],
        [await embedTexts(path.join(out, 'text.onnx'), ref), ref.text.data],
      ] as const) {
        const s = compare(got, want, 3);
        expect(s.minCos).toBeGreaterThanOrEqual(0.99999);
        expect(s.maxRel).toBeLessThanOrEqual(1e-4);
      }
    });
  }
});
