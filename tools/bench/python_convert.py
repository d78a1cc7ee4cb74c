"""The Python baseline: torch.load(weights_only=True) + safetensors.torch.save_file."""
import sys
import torch
from safetensors.torch import save_file

sd = torch.load(sys.argv[1], map_location="cpu", weights_only=True)
save_file({k: v.contiguous() for k, v in sd.items()}, sys.argv[2], metadata={"format": "pt"})
