import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasOracle, repoRoot, runPythonAsync, tempDir } from '#test-support';
import {
  compare,
  embedImages,
  embedTexts,
  EXPORT_MODES,
  exportFixture,
  loadReference,
} from '#test-support/onnx-fidelity.js';
import { pyCheck, pyJob } from './test-utils/py-check.js';

// Text towers at their real widths and depths (vocabularies cut to 8000 rows, NLLB and mT5 to 4 of their 12 layers,
// RoBERTa with its dense+tanh cls_pooler, which no open_clip config uses, to 2),
// built by real open_clip + transformers with seeded, perturbed weights; made once into .cache/onnx-export.
const MAKE = `
import json, os, sys, torch, transformers, open_clip
from pathlib import Path
from safetensors.torch import save_file
from open_clip.push_to_hf_hub import save_config_for_hf
name, out = sys.argv[1], sys.argv[2]
tiny_vision = {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 16}
HF = {
    "xlm-roberta-base": dict(model_type="xlm-roberta", vocab_size=8000, hidden_size=768, num_hidden_layers=12,
        num_attention_heads=12, intermediate_size=3072, hidden_act="gelu", max_position_embeddings=514,
        type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2),
    "facebook/nllb-200-distilled-600M": dict(model_type="m2m_100", vocab_size=8000, d_model=1024, encoder_layers=4,
        decoder_layers=1, encoder_attention_heads=16, decoder_attention_heads=16, encoder_ffn_dim=4096,
        decoder_ffn_dim=64, activation_function="relu", max_position_embeddings=1024, scale_embedding=True,
        pad_token_id=1, bos_token_id=0, eos_token_id=2),
    "roberta-base": dict(model_type="roberta", vocab_size=8000, hidden_size=768, num_hidden_layers=2,
        num_attention_heads=12, intermediate_size=3072, hidden_act="gelu", max_position_embeddings=514,
        type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2),
    "google/mt5-base": dict(model_type="mt5", vocab_size=8000, d_model=768, d_kv=64, d_ff=2048, num_layers=4,
        num_decoder_layers=1, num_heads=12, relative_attention_num_buckets=32, relative_attention_max_distance=128,
        feed_forward_proj="gated-gelu", layer_norm_epsilon=1e-6, tie_word_embeddings=False, pad_token_id=0,
        eos_token_id=1, decoder_start_token_id=0),
}
CFGS = {
    "roberta-cls-pooler": {"embed_dim": 512, "vision_cfg": tiny_vision, "text_cfg": {"hf_model_name": "roberta-base",
        "hf_tokenizer_name": "roberta-base", "hf_pooler_type": "cls_pooler", "hf_proj_type": "mlp"}},
    "mt5-base-ViT-B-32": {"embed_dim": 512, "vision_cfg": tiny_vision, "text_cfg": {"hf_model_name": "google/mt5-base",
        "hf_tokenizer_name": "google/mt5-base", "hf_pooler_type": "mean_pooler"}},
    "xlm-roberta-base": {"embed_dim": 512, "vision_cfg": tiny_vision, "text_cfg": {"hf_model_name": "xlm-roberta-base",
        "hf_tokenizer_name": "xlm-roberta-base", "hf_pooler_type": "mean_pooler"}},
    "nllb-clip-base": {"embed_dim": 512, "vision_cfg": tiny_vision, "text_cfg": {"hf_model_name": "facebook/nllb-200-distilled-600M",
        "hf_tokenizer_name": "facebook/nllb-200-distilled-600M", "hf_proj_type": "linear", "hf_pooler_type": "cls_pooler"}},
    "coca_ViT-B-32": {"embed_dim": 512, "custom_text": True,
        "vision_cfg": {**tiny_vision, "attentional_pool": True, "attn_pooler_heads": 2, "attn_pooler_queries": 4, "output_tokens": True},
        "text_cfg": {"context_length": 76, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12, "embed_cls": True, "output_tokens": True},
        "multimodal_cfg": {"context_length": 76, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 1, "attn_pooler_heads": 8}},
}
cfg = CFGS[name]
cfg_dir = os.path.join(out, "_cfg"); os.makedirs(cfg_dir, exist_ok=True)
json.dump(cfg, open(os.path.join(cfg_dir, "realistic-" + name + ".json"), "w"))
open_clip.add_model_config(cfg_dir)
made = []
orig = transformers.AutoConfig.from_pretrained
def from_pretrained(n, *a, **k):
    v = dict(HF[n]); c = transformers.AutoConfig.for_model(v.pop("model_type"), **v); made.append(c); return c
transformers.AutoConfig.from_pretrained = from_pretrained
torch.manual_seed(0)
model = open_clip.create_model("realistic-" + name, pretrained=None, pretrained_hf=False).eval()
g = torch.Generator().manual_seed(1)
with torch.no_grad():
    for k, p in model.state_dict().items():
        if p.is_floating_point() and not k.endswith("logit_scale"):
            # noise at 5% of the tensor's own spread (at least 0.02): no norm stays trivial, and attention
            # logits keep their trained scale (T5 does not scale q·k; absolute 0.05 noise on its 0.005-wide
            # q/k weights makes every softmax one-hot)
            std = p.float().std().item() if p.numel() > 1 else 0.0
            p.add_(torch.randn(p.shape, generator=g) * max(0.05 * std, 0.02))
save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(out, "open_clip_model.safetensors"))
save_config_for_hf(model, Path(out) / "open_clip_config.json", cfg)
if made: made[0].to_json_file(os.path.join(out, "config.json"))
pixels = torch.randn(3, 3, 32, 32, generator=g)
if "hf_model_name" in cfg["text_cfg"]:
    hf = HF[cfg["text_cfg"]["hf_model_name"]]
    ids = torch.full((3, 77), hf["pad_token_id"], dtype=torch.long)
    for row, n in enumerate([5, 30, 77]):
        ids[row, :n] = torch.randint(3, 8000, (n,), generator=g)
        if "bos_token_id" in hf: ids[row, 0] = hf["bos_token_id"]
        ids[row, n - 1] = hf["eos_token_id"]
else:
    ids = open_clip.SimpleTokenizer(context_length=76)(["a diagram", "a photo of a dog, on the grass!", "cats " * 90]).long()
with torch.no_grad():
    img, txt = model.encode_image(pixels), model.encode_text(ids)
save_file({"inputs.pixel_values": pixels, "inputs.input_ids": ids.contiguous(), "cpu_fp32.image_embeds": img.contiguous(),
           "cpu_fp32.text_embeds": txt.contiguous(), "logit_scale": model.logit_scale.detach().reshape(())},
          os.path.join(out, "reference.safetensors"))
`;

async function ensure(name: string): Promise<string> {
  const dir = path.join(repoRoot, '.cache', 'onnx-export', 'hf-realistic-v2', name);
  if (!existsSync(path.join(dir, 'reference.safetensors'))) {
    mkdirSync(dir, { recursive: true });
    await runPythonAsync(MAKE, [name, dir]);
  }
  return dir;
}

const BOUNDS = { fp32: 0.99999, fp16: 0.999, int8: 0.99 } as const;

describe.skipIf(!hasOracle)('HF and CoCa text towers at realistic size match open_clip', () => {
  for (const name of [
    'xlm-roberta-base',
    'roberta-cls-pooler',
    'nllb-clip-base',
    'mt5-base-ViT-B-32',
    'coca_ViT-B-32',
  ]) {
    it(`${name}: fp32 fused and plain, fp16, int8`, { timeout: 600_000 }, async () => {
      const dir = await ensure(name);
      const ref = await loadReference(path.join(dir, 'reference.safetensors'));
      const n = ref.ids.dims[0] as number;
      const scratch = tempDir('cliphub-hf-real-');
      try {
        const got: Record<string, { minCos: number; maxRel: number; ms: number }> = {};
        let plainText: Float32Array | null = null;
        for (const [variant, options] of EXPORT_MODES) {
          const out = path.join(scratch.dir, variant);
          const t0 = performance.now();
          await exportFixture(dir, out, { towers: ['text'], ...options });
          const text = await embedTexts(path.join(out, 'text.onnx'), ref);
          got[variant] = { ...compare(text, ref.text.data, n), ms: Math.round(performance.now() - t0) };
          if (variant === 'plain') plainText = text;
        }
        console.log(`${name} text tower: ${JSON.stringify(got)}`);
        expect(got.fused!.minCos).toBeGreaterThanOrEqual(BOUNDS.fp32);
        expect(got.fused!.maxRel).toBeLessThanOrEqual(1e-4);
        expect(got.plain!.minCos).toBeGreaterThanOrEqual(BOUNDS.fp32);
        expect(got.plain!.maxRel).toBeLessThanOrEqual(1e-4);
        expect(got.fp16!.minCos).toBeGreaterThanOrEqual(BOUNDS.fp16);
        expect(got.int8!.minCos).toBeGreaterThanOrEqual(BOUNDS.int8);
        // the image tower (tiny) still exports beside it
        await exportFixture(dir, path.join(scratch.dir, 'vision'), { towers: ['vision'] });
        const img = compare(await embedImages(path.join(scratch.dir, 'vision', 'vision.onnx'), ref), ref.image.data, n);
        expect(img.minCos).toBeGreaterThanOrEqual(BOUNDS.fp32);
        const [py] = pyCheck(
          [
            pyJob(
              path.join(scratch.dir, 'plain', 'text.onnx'),
              'text',
              path.join(dir, 'reference.safetensors'),
              plainText as Float32Array,
            ),
          ],
          scratch.dir,
        );
        expect(py?.checker).toBe('ok');
        expect(py?.minCos).toBeGreaterThanOrEqual(BOUNDS.fp32);
        expect(py?.maxRel).toBeLessThanOrEqual(1e-4);
      } finally {
        scratch.cleanup();
      }
    });
  }
});
