#!/usr/bin/env python3
"""Writes a large open_clip checkpoint for benchmarks: real key names and shapes of an open_clip
architecture (default ViT-bigG-14), seeded values, saved by torch.save (zip; ZIP64 past 4 GiB) with
its open_clip_config.json. Usage: make_big_checkpoint.py OUT_DIR [ARCH] [DTYPE]"""
import json
import sys
from pathlib import Path

import torch
import open_clip

out = Path(sys.argv[1])
arch = sys.argv[2] if len(sys.argv) > 2 else "ViT-bigG-14"
dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[sys.argv[3] if len(sys.argv) > 3 else "fp16"]
out.mkdir(parents=True, exist_ok=True)
cfg = open_clip.get_model_config(arch)
with torch.device("meta"):
    model = open_clip.create_model(arch, pretrained=None, device="meta")
g = torch.Generator().manual_seed(0)
sd = {}
for k, v in model.state_dict().items():
    t = torch.empty(v.shape, dtype=dtype if v.is_floating_point() else v.dtype)
    if t.is_floating_point():
        t.normal_(0, 0.02, generator=g)
    sd[k] = t
torch.save(sd, out / "open_clip_pytorch_model.bin")
(out / "open_clip_config.json").write_text(json.dumps({"model_cfg": cfg, "preprocess_cfg": {
    "mean": [0.48145466, 0.4578275, 0.40821073], "std": [0.26862954, 0.26130258, 0.27577711],
    "interpolation": "bicubic", "resize_mode": "shortest"}}, indent=2))
print(json.dumps({"arch": arch, "tensors": len(sd), "bytes": (out / "open_clip_pytorch_model.bin").stat().st_size}))
