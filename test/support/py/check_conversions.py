"""Checks many cliphub conversions in one process (importing torch once).

For each job {"source", "output_dir", "dtype"?, "reference"?, "reference_prefix"?, "inputs"?}
(inputs: a reference file holding the inputs, when `reference` holds only embeddings):
- tensors: the output's open_clip_model.safetensors against what torch itself reads from the source,
  i.e. what `safetensors.torch.save_file` would write from `torch.load(...)` (state dict unwrapped
  from a training checkpoint, 'module.' stripped, contiguous, optionally cast); TorchScript sources
  use `torch.jit.load(...).state_dict()`;
- embeddings: `open_clip.create_model_from_pretrained('local-dir:' + output_dir)` on the reference
  file's inputs, against its `<prefix>.image_embeds` / `.text_embeds`.

Usage: check_conversions.py JOBS.json   (prints one JSON list of results)
"""
import json
import sys
import zipfile

import torch
import open_clip
from safetensors.torch import load_file

CAST = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def is_torchscript(path):
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as z:
        return any(n.endswith("constants.pkl") for n in z.namelist())


def source_state_dict(src):
    if src.endswith(".safetensors"):
        return load_file(src)
    if is_torchscript(src):
        return torch.jit.load(src, map_location="cpu").state_dict()
    sd = torch.load(src, map_location="cpu", weights_only=True)
    if isinstance(sd, dict) and "state_dict" in sd:
        sd = sd["state_dict"]
    if sd and all(k.startswith("module.") for k in sd):
        sd = {k[len("module."):]: v for k, v in sd.items()}
    return sd


def compare_tensors(src, out, dtype):
    sd = source_state_dict(src)
    got = load_file(out)
    cast = CAST.get(dtype or "")
    mismatched = []
    for k, v in got.items():
        if k not in sd:
            continue
        want = sd[k].contiguous()
        if cast is not None and want.is_floating_point():
            want = want.to(cast)
        if want.dtype != v.dtype or want.shape != v.shape:
            mismatched.append(f"{k}: {v.dtype}{list(v.shape)} vs {want.dtype}{list(want.shape)}")
        elif want.numel() and not torch.equal(want.reshape(-1).view(torch.uint8), v.reshape(-1).view(torch.uint8)):
            mismatched.append(f"{k}: bytes differ")
    return {
        "checked": len(got),
        "missing": [k for k in sd if k not in got],
        "extra": [k for k in got if k not in sd],
        "mismatched": mismatched,
    }


def stats(got, want):
    got, want = got.float(), want.float()
    diff = (got - want).abs().max().item()
    return {
        "max_abs": diff,
        "max_rel": diff / want.abs().max().item(),
        "min_cos": torch.nn.functional.cosine_similarity(got, want, dim=-1).min().item(),
    }


def embeddings(out_dir, ref_path, prefix, inputs_path):
    model, _ = open_clip.create_model_from_pretrained(f"local-dir:{out_dir}")
    model = model.float().eval()
    ref = load_file(ref_path)
    inputs = load_file(inputs_path or ref_path)
    with torch.no_grad():
        img = model.encode_image(inputs["inputs.pixel_values"])
        txt = model.encode_text(inputs["inputs.input_ids"])
    act = None
    if hasattr(model.visual, "transformer"):
        act = type(model.visual.transformer.resblocks[0].mlp.gelu).__name__
    return {"image": stats(img, ref[f"{prefix}.image_embeds"]), "text": stats(txt, ref[f"{prefix}.text_embeds"]), "vision_act": act}


results = []
for job in json.load(open(sys.argv[1])):
    r = {"id": job["id"]}
    try:
        r["tensors"] = compare_tensors(job["source"], f"{job['output_dir']}/open_clip_model.safetensors", job.get("dtype"))
        if job.get("reference"):
            r["embeds"] = embeddings(job["output_dir"], job["reference"], job.get("reference_prefix", "cpu_fp32"), job.get("inputs"))
    except Exception as e:  # reported per job so one failure does not hide the others
        r["error"] = f"{type(e).__name__}: {e}"
    results.append(r)
print(json.dumps(results))
