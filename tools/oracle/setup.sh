#!/usr/bin/env bash
# cliphub's test oracle: a Python venv with the real OpenCLIP stack (CPU): torch, open_clip,
# open_clip_train, onnx, onnxruntime, safetensors, timm, ftfy, huggingface_hub, and transformers/tokenizers
# (open_clip's HFTokenizer). Usage: setup.sh DIR
# Where pip is configured with a local wheel mirror (extra-index-url / find-links), that mirror is used
# as the only index, so nothing waits on an unreachable network index; elsewhere plain pip is used.
set -euo pipefail
venv=${1:?usage: setup.sh DIR}
python3 -m venv "$venv"
pip=("$venv/bin/pip" install -q)
read -r -a extra <<<"$("$venv/bin/pip" config get global.extra-index-url 2>/dev/null || true)"
if [ "${#extra[@]}" -gt 0 ]; then
  pip+=(--index-url "${extra[0]}")
  for u in "${extra[@]:1}"; do pip+=(--extra-index-url "$u"); done
fi
PIP_RETRIES=0 "${pip[@]}" \
  'torch==2.13.0+cpu' 'torchvision==0.28.0' 'open_clip_torch==3.3.0' 'onnx==1.23.1' 'onnxruntime==1.30.0' \
  'safetensors==0.8.0' ftfy timm 'huggingface_hub==1.33.0' 'transformers==5.18.0' 'tokenizers==0.23.2' numpy pillow pandas 2>&1 | grep -v "is ignored: it is neither" || true
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# The torchvision wheel on this mirror is built for CUDA torch, so its ops library cannot load under
# CPU torch. Define the two op schemas it registers fakes for; its pure-Python transforms then import.
cat > "$site/sitecustomize.py" <<'PY'
try:
    import torch
    _tv = torch.library.Library("torchvision", "DEF")
    _tv.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    _tv.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
except Exception:
    pass
PY
"$venv/bin/python" "$(dirname "$0")/install_stubs.py"
"$venv/bin/python" -W ignore -c 'import torch, open_clip, onnx, onnxruntime, safetensors, huggingface_hub, transformers, tokenizers; print("oracle ready: torch", torch.__version__, "open_clip", open_clip.__version__, "onnx", onnx.__version__, "onnxruntime", onnxruntime.__version__, "transformers", transformers.__version__)'
