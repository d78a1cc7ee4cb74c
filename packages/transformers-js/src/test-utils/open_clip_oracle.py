"""open_clip's own tokenizer and encode_text for a fixture dir; the ground truth for the transformers.js tests.

argv[1]: a JSON file {"dir": model dir, "texts": [...], "embed": bool}; prints {"ids": [[...]], "text_embeds": [[...]]}.
"""
import json
import sys

import open_clip
import torch
from safetensors.torch import load_file

job = json.load(open(sys.argv[1]))
cfg = json.load(open(job["dir"] + "/open_clip_config.json"))["model_cfg"]
ctx = cfg["text_cfg"].get("context_length", 77)
tokenizer = open_clip.tokenizer.SimpleTokenizer(context_length=ctx)
ids = tokenizer(job["texts"])
out = {"ids": ids.tolist()}
if job.get("embed"):
    model = open_clip.model.CLIP(**cfg)
    model.load_state_dict(load_file(job["dir"] + "/open_clip_model.safetensors"))
    model.eval()
    with torch.no_grad():
        out["text_embeds"] = model.encode_text(ids).tolist()
print(json.dumps(out))
