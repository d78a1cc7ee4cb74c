#!/usr/bin/env python3
"""Makes the bundled demo model (examples/tiny-clip) with real open_clip: a ~1.6 MB QuickGELU CLIP
saved by torch.save exactly as open_clip's pretrained files are, its open_clip_config.json, and CPU
fp32 reference embeddings. Re-run only to change the demo: the outputs are committed.

Usage: .oracle/venv/bin/python tools/demo/make_demo_model.py examples/tiny-clip
"""
import json
import os
import sys
import tempfile
from pathlib import Path

import torch
import open_clip
from open_clip.push_to_hf_hub import save_config_for_hf
from safetensors.torch import save_file

NAME = "cliphub-demo-tiny"
CFG = dict(
    embed_dim=8,
    quick_gelu=True,
    vision_cfg=dict(image_size=32, layers=1, width=16, head_width=8, patch_size=16),
    text_cfg=dict(context_length=77, vocab_size=49408, width=8, heads=2, layers=1),
)
TEXTS = ["a photo of a cat", "a photo of a dog", "a diagram", "an astronaut riding a horse"]

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
with tempfile.TemporaryDirectory() as d:
    Path(d, f"{NAME}.json").write_text(json.dumps(CFG))
    open_clip.add_model_config(d)
    torch.manual_seed(0)
    model = open_clip.create_model(NAME, pretrained=None).eval()
g = torch.Generator().manual_seed(1)
with torch.no_grad():
    for name, p in model.state_dict().items():
        if p.is_floating_point() and name != "logit_scale":
            p.add_(torch.randn(p.shape, generator=g) * 0.05)
sd = model.state_dict()
torch.save(sd, out / "open_clip_pytorch_model.bin")
save_config_for_hf(model, out / "open_clip_config.json", CFG)

pixels = torch.randn(4, 3, 32, 32, generator=g)
ids = open_clip.get_tokenizer("ViT-B-32")(TEXTS).long()
with torch.no_grad():
    img, txt = model.encode_image(pixels), model.encode_text(ids)
save_file(
    {
        "inputs.pixel_values": pixels,
        "inputs.input_ids": ids,
        "cpu_fp32.image_embeds": img.contiguous(),
        "cpu_fp32.text_embeds": txt.contiguous(),
        "logit_scale": model.logit_scale.detach().reshape(()).clone(),
    },
    out / "reference.safetensors",
    metadata={
        "model_name": NAME,
        "model_cfg": json.dumps(CFG),
        "tokenizer": "open_clip.SimpleTokenizer",
        "texts": json.dumps(TEXTS),
        "open_clip_version": open_clip.__version__,
        "torch_version": torch.__version__,
        "device": "cpu",
    },
)
print("demo model written to", out, {f: os.path.getsize(out / f) for f in os.listdir(out)})
