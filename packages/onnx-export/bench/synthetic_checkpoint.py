"""Writes a full-size open_clip checkpoint with seeded random weights, tensor by tensor.

Usage: python synthetic_checkpoint.py ARCH OUT_DIR [--f16]

The model is built on the meta device, so no weights are allocated: the script holds one tensor at a time and
writes OUT_DIR/open_clip_model.safetensors (through a temporary name, renamed when complete) and
OUT_DIR/model_cfg.json. A 4.7 B-parameter EVA02-E-14 (18.8 GB) needs about as much memory as its largest tensor.
Scales (1-D weights of norms and layer scales) are 1 + noise, so no norm is trivial; everything else is noise.
--f16 writes float16 tensors (as large checkpoints often ship), half the disk.
"""

import json
import os
import struct
import sys

import open_clip
import torch


def main(arch: str, out_dir: str, half: bool) -> None:
    dtype, width = ('F16', 2) if half else ('F32', 4)
    with torch.device('meta'):
        model = open_clip.create_model(arch, pretrained=None, device='meta')
    state = model.state_dict()
    header, offset = {}, 0
    for key, value in state.items():
        size = value.numel() * width
        header[key] = {'dtype': dtype, 'shape': list(value.shape), 'data_offsets': [offset, offset + size]}
        offset += size
    encoded = json.dumps(header).encode()
    encoded += b' ' * (-len(encoded) % 8)
    generator = torch.Generator().manual_seed(0)
    target = os.path.join(out_dir, 'open_clip_model.safetensors')
    with open(target + '.tmp', 'wb') as file:
        file.write(struct.pack('<Q', len(encoded)) + encoded)
        for key, value in state.items():
            noise = torch.randn(value.shape, generator=generator) * 0.02
            if key == 'logit_scale':
                tensor = torch.full(value.shape, 2.6592)
            elif value.dim() == 1 and not key.endswith('bias'):
                tensor = 1 + noise
            else:
                tensor = noise
            file.write((tensor.half() if half else tensor).numpy().tobytes())
    with open(os.path.join(out_dir, 'model_cfg.json'), 'w') as file:
        json.dump(open_clip.get_model_config(arch), file)
    os.replace(target + '.tmp', target)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], '--f16' in sys.argv[3:])
