"""Checks a full-size cliphub export against real open_clip: onnx.checker (full_check, by path, so external
data over 2 GB is read from disk) and Python onnxruntime versus open_clip's encode_image / encode_text.

Usage: python check_big_export.py ARCH CHECKPOINT ONNX_DIR [--threads N] [--no-run]

The open_clip model is built on the meta device and takes the checkpoint's tensors memory-mapped (assign=True),
and the reference embeddings are computed before any onnxruntime session opens, so the peak memory is about
one copy of the weights. Prints one JSON line.
"""

import gc
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
import open_clip
import torch
from safetensors import safe_open


def materialize_buffers(model: torch.nn.Module) -> None:
    """Computes on the CPU the non-persistent buffers (rope tables, causal masks, zero k biases) that are not in
    the checkpoint and so are still on the meta device, with the modules' own initialisers."""
    for module in model.modules():
        names = [name for name, buffer in module._buffers.items() if buffer is not None and buffer.is_meta]
        for name in names:
            module._buffers[name] = torch.empty_like(module._buffers[name], device='cpu')
        if not names:
            continue
        if hasattr(module, '_init_buffers'):
            module._init_buffers()
        elif names == ['attn_mask'] and hasattr(module, 'build_causal_mask'):
            module._buffers['attn_mask'] = module.build_causal_mask()
        else:
            raise RuntimeError(f'no initialiser for the buffers {names} of {type(module).__name__}')


def reference(arch: str, checkpoint: str, threads: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    torch.set_num_threads(threads)
    with torch.device('meta'):
        model = open_clip.create_model(arch, pretrained=None, device='meta')
    with safe_open(checkpoint, framework='pt') as file:
        state = {key: file.get_tensor(key) for key in file.keys()}
    model.load_state_dict(state, assign=True)
    materialize_buffers(model)
    model.eval()
    size = model.visual.image_size
    size = size[0] if isinstance(size, (list, tuple)) else size
    pixels = torch.sin(torch.arange(2 * 3 * size * size, dtype=torch.float64) * 0.37).float().reshape(2, 3, size, size)
    ids = open_clip.get_tokenizer(arch)(['a photo of a cat', 'a diagram of a transformer block'])
    with torch.inference_mode():
        outputs = {'vision': model.encode_image(pixels).numpy(), 'text': model.encode_text(ids).numpy()}
    inputs = {'vision': pixels.numpy(), 'text': ids.numpy()}
    del model, state
    gc.collect()
    return inputs, outputs


def main() -> None:
    arch, checkpoint, onnx_dir = sys.argv[1:4]
    threads = int(sys.argv[sys.argv.index('--threads') + 1]) if '--threads' in sys.argv else 2
    result: dict[str, object] = {'arch': arch}
    for tower in ('vision', 'text'):
        onnx.checker.check_model(os.path.join(onnx_dir, f'{tower}.onnx'), full_check=True)
    result['checker'] = 'ok'
    if '--no-run' not in sys.argv:
        inputs, expected = reference(arch, checkpoint, threads)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        for tower in ('vision', 'text'):
            session = ort.InferenceSession(os.path.join(onnx_dir, f'{tower}.onnx'), options)
            feed = session.get_inputs()[0]
            value = inputs[tower].astype(np.int64 if 'int64' in feed.type else np.int32 if 'int32' in feed.type else np.float32)
            got = session.run(None, {feed.name: value})[0].astype(np.float64)
            ref = expected[tower].astype(np.float64)
            cos = (got * ref).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(ref, axis=1)
            result[tower] = {
                'minCos': float(cos.min()),
                'maxAbsDiffOverMaxRef': float(np.abs(got - ref).max() / np.abs(ref).max()),
            }
            del session
            gc.collect()
    print(json.dumps(result))


if __name__ == '__main__':
    main()
