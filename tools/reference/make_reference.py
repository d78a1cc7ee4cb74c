#!/usr/bin/env python3
"""Writes a reference-embedding file (docs/reference-format.md) with the real open_clip package.

For a model spec it runs fixed, seeded inputs (plus optional real images and texts, preprocessed and
tokenized by open_clip itself) through encode_image / encode_text on the CPU in fp32 and, when CUDA is
available, in fp32, fp16-autocast, bf16-autocast and fp16-weights, and stores inputs, embeddings,
logit_scale/logit_bias and metadata in one safetensors file.

Usage:
  make_reference.py MODEL --out FILE [--n 4] [--seed 0] [--images IMG ...] [--texts TEXT ...]
                    [--inputs-from REF] [--modes cpu_fp32,cuda_fp32,...] [--cpu-only]
MODEL: ARCH (random init, seeded), ARCH:TAG (pretrained), hf-hub:ORG/NAME, local-dir:PATH
"""
import argparse
import json
import os
import platform
import sys

DEFAULT_TEXTS = ["a diagram", "a dog", "a cat", "a photo of an astronaut riding a horse"]
CUDA_MODES = ["cuda_fp32", "cuda_fp16-autocast", "cuda_bf16-autocast", "cuda_fp16-weights"]
ALL_MODES = ["cpu_fp32"] + CUDA_MODES


def die(msg):
    print(f"make_reference: {msg}", file=sys.stderr)
    sys.exit(2)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="ARCH, ARCH:TAG, hf-hub:ORG/NAME or local-dir:PATH")
    p.add_argument("--out", required=True, help="output .safetensors file")
    p.add_argument("--n", type=int, default=4, help="number of seeded samples (default 4)")
    p.add_argument("--seed", type=int, default=0, help="seed for inputs and random init (default 0)")
    p.add_argument("--images", nargs="+", default=None, help="image files, preprocessed by open_clip's transform")
    p.add_argument("--texts", nargs="+", default=None, help="texts, tokenized by open_clip's tokenizer")
    p.add_argument("--inputs-from", default=None, help="reuse inputs.* (and texts) of another reference file")
    p.add_argument("--modes", default=None, help=f"comma-separated subset of {','.join(ALL_MODES)}")
    p.add_argument("--cpu-only", action="store_true", help="skip CUDA modes even when a GPU exists")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: all cores)")
    a = p.parse_args(argv)
    if a.n < 1:
        die("--n must be at least 1")
    if a.inputs_from and (a.images or a.texts):
        die("--inputs-from cannot be combined with --images/--texts: the inputs come from that file")
    a.modes = a.modes.split(",") if a.modes else None
    for m in a.modes or []:
        if m not in ALL_MODES:
            die(f"unknown mode '{m}'; use {', '.join(ALL_MODES)}")
        if m.startswith("cuda") and a.cpu_only:
            die(f"mode {m} needs a CUDA GPU but --cpu-only was given")
    # Checked before torch is imported (seconds), so a typo fails fast.
    if a.model.startswith("local-dir:"):
        d = a.model[len("local-dir:"):]
        if not os.path.isfile(os.path.join(d, "open_clip_config.json")):
            die(f"{d} has no open_clip_config.json; a local-dir model needs it beside the weights")
    for f in (a.images or []) + ([a.inputs_from] if a.inputs_from else []):
        if not os.path.isfile(f):
            die(f"{f}: no such file")
    return a


def load_model(spec, seed):
    """(model, preprocess, tokenizer, model_cfg, model_name) for any spec open_clip understands."""
    import open_clip
    import torch

    if spec.startswith("local-dir:"):
        d = spec[len("local-dir:"):]
        with open(os.path.join(d, "open_clip_config.json")) as f:
            model_cfg = json.load(f)["model_cfg"]
        model, preprocess = open_clip.create_model_from_pretrained(spec)
        return model, preprocess, open_clip.get_tokenizer(spec), model_cfg, os.path.basename(os.path.normpath(d))
    if spec.startswith("hf-hub:"):
        from huggingface_hub import hf_hub_download

        model, preprocess = open_clip.create_model_from_pretrained(spec)
        with open(hf_hub_download(spec[len("hf-hub:"):], "open_clip_config.json")) as f:
            model_cfg = json.load(f)["model_cfg"]
        return model, preprocess, open_clip.get_tokenizer(spec), model_cfg, spec
    arch, _, tag = spec.partition(":")
    model_cfg = open_clip.get_model_config(arch)
    if model_cfg is None:
        die(f"unknown architecture '{arch}'; see open_clip.list_models()")
    torch.manual_seed(seed)  # random init is reproducible when no tag is given
    model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=tag or None)
    return model, preprocess, open_clip.get_tokenizer(arch), model_cfg, spec


def make_inputs(args, model, preprocess, tokenizer, model_cfg):
    """(pixel_values f32 [N,3,H,W], input_ids i64 [N,ctx], texts or None, description)."""
    import torch
    from safetensors import safe_open

    if args.inputs_from:
        with safe_open(args.inputs_from, "pt") as f:
            keys = set(f.keys())
            for k in ("inputs.pixel_values", "inputs.input_ids"):
                if k not in keys:
                    die(f"{args.inputs_from} has no {k}; --inputs-from needs a reference file")
            texts = f.metadata().get("texts") if f.metadata() else None
            return f.get_tensor("inputs.pixel_values"), f.get_tensor("inputs.input_ids"), json.loads(texts) if texts else None, f"from {args.inputs_from}"
    size = model.visual.image_size
    h, w = (size, size) if isinstance(size, int) else tuple(size)
    n = len(args.images) if args.images else len(args.texts) if args.texts else args.n
    if args.images and args.texts and len(args.images) != len(args.texts):
        die(f"got {len(args.images)} images and {len(args.texts)} texts; give the same number of each")
    g = torch.Generator().manual_seed(args.seed)
    if args.images:
        from PIL import Image

        pixels = torch.stack([preprocess(Image.open(p).convert("RGB")) for p in args.images])
        how = "images via open_clip preprocess"
    else:
        pixels = torch.randn(n, 3, h, w, generator=g)
        how = f"seeded randn (seed {args.seed})"
    vocab = model_cfg.get("text_cfg", {}).get("vocab_size", 49408)
    ctx = model_cfg.get("text_cfg", {}).get("context_length", 77)
    if args.texts or vocab == 49408 or model_cfg.get("text_cfg", {}).get("hf_tokenizer_name"):
        texts = args.texts or [DEFAULT_TEXTS[i % len(DEFAULT_TEXTS)] for i in range(n)]
        ids = tokenizer(texts).long()
    else:
        # A toy vocabulary has no real tokenizer; seeded ids exercise the tower all the same.
        texts = None
        ids = torch.randint(1, vocab, (n, ctx), generator=g).long()
    return pixels.float().contiguous(), ids.contiguous(), texts, how


def embed(model, pixels, ids, mode):
    import torch

    with torch.no_grad():
        return _embed(torch, model, pixels, ids, mode)


def _embed(torch, model, pixels, ids, mode):
    if mode == "cpu_fp32":
        m = model.float().cpu()
        return m.encode_image(pixels), m.encode_text(ids)
    dev = torch.device("cuda")
    if mode == "cuda_fp16-weights":
        import copy

        m = copy.deepcopy(model).to(dev).half()
        return m.encode_image(pixels.to(dev).half()), m.encode_text(ids.to(dev))
    m = model.to(dev).float()
    if mode == "cuda_fp32":
        return m.encode_image(pixels.to(dev)), m.encode_text(ids.to(dev))
    dtype = torch.float16 if mode == "cuda_fp16-autocast" else torch.bfloat16
    with torch.autocast("cuda", dtype=dtype):
        return m.encode_image(pixels.to(dev)), m.encode_text(ids.to(dev))


def main(argv):
    args = parse_args(argv)
    import torch

    torch.set_num_threads(args.threads or max(1, os.cpu_count() or 1))
    # TF32 would make cuda_fp32 a reduced-precision run; the fixtures were made with it off too.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    import open_clip
    from safetensors.torch import save_file

    has_cuda = torch.cuda.is_available() and not args.cpu_only
    modes = args.modes or ["cpu_fp32"] + (CUDA_MODES if has_cuda else [])
    for m in modes:
        if m.startswith("cuda") and not has_cuda:
            die(f"mode {m} needs a CUDA GPU and none is available")
    model, preprocess, tokenizer, model_cfg, model_name = load_model(args.model, args.seed)
    model.eval()
    pixels, ids, texts, how = make_inputs(args, model, preprocess, tokenizer, model_cfg)
    tensors = {"inputs.pixel_values": pixels, "inputs.input_ids": ids}
    for mode in modes:
        img, txt = embed(model, pixels, ids, mode)
        tensors[f"{mode}.image_embeds"] = img.float().cpu().contiguous()
        tensors[f"{mode}.text_embeds"] = txt.float().cpu().contiguous()
        model = model.float().cpu()
    tensors["logit_scale"] = model.logit_scale.detach().float().reshape(()).clone()
    if getattr(model, "logit_bias", None) is not None:
        tensors["logit_bias"] = model.logit_bias.detach().float().reshape(()).clone()
    meta = {
        "model_name": model_name,
        "model_spec": args.model,
        "model_cfg": json.dumps(model_cfg),
        "tokenizer": type(tokenizer).__name__ if texts is not None else "random ids",
        "texts": json.dumps(texts if texts is not None else []),
        "inputs": how,
        "modes": json.dumps(modes),
        "open_clip_version": open_clip.__version__,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "device": torch.cuda.get_device_name(0) if has_cuda else "cpu",
        "generator": "cliphub tools/reference/make_reference.py",
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = f"{args.out}.tmp-{os.getpid()}"
    save_file(tensors, tmp, metadata=meta)
    os.replace(tmp, args.out)  # never leave a half-written reference behind
    print(json.dumps({"out": args.out, "modes": modes, "n": int(pixels.shape[0]), "embed_dim": int(tensors["cpu_fp32.image_embeds"].shape[1]) if "cpu_fp32.image_embeds" in tensors else None}))


if __name__ == "__main__":
    main(sys.argv[1:])
