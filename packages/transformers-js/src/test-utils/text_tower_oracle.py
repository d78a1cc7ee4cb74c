"""open_clip's tokenizer and text tower for a fixture with a local Hugging Face tokenizer folder.

The fixture's vision trunk is a shrunken timm model (its reference.safetensors holds the image side); the text
tower is open_clip's own TextTransformer, built here from the config and loaded from the fixture's text weights.
argv[1]: a JSON file {"dir", "tokenizer", "texts"}; prints {"ids": [[...]], "text_embeds": [[...]]}.
"""
import json
import sys

import torch
from open_clip.model import _build_text_tower
from open_clip.tokenizer import HFTokenizer
from safetensors.torch import load_file

job = json.load(open(sys.argv[1]))
cfg = json.load(open(job["dir"] + "/open_clip_config.json"))["model_cfg"]
text_cfg = cfg["text_cfg"]
tokenizer = HFTokenizer(job["tokenizer"], context_length=text_cfg.get("context_length", 77),
                        **text_cfg.get("tokenizer_kwargs", {}))
ids = tokenizer(job["texts"])
tower = _build_text_tower(cfg["embed_dim"], text_cfg, quick_gelu=cfg.get("quick_gelu", False))
weights = load_file(job["dir"] + "/open_clip_model.safetensors")
if cfg.get("custom_text"):
    text_weights = {k[len("text."):]: v for k, v in weights.items() if k.startswith("text.")}
else:  # open_clip's CLIP keeps the text tower's weights at the top level
    text_weights = {k: v for k, v in weights.items() if not k.startswith(("visual.", "logit_"))}
tower.load_state_dict(text_weights)
tower.eval()
with torch.no_grad():
    embeds = tower(ids)
print(json.dumps({"ids": ids.tolist(), "text_embeds": embeds.tolist()}))
