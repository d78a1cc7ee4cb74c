#!/usr/bin/env bash
# One prepared run for a machine with a CUDA GPU and a CUDA build of torch + open_clip 3.3.0:
# writes references (CPU fp32 + the four CUDA modes) for the tiny fixture models and judges every CUDA
# mode with `cliphub validate --profile auto` (it must pass) and `--profile fp32` (fp16/bf16 must fail).
# Usage: tools/reference/gpu_check.sh PYTHON [MODEL_DIR ...]   (default: .cache/fixtures/models/*)
# Needs the CLI built (npx turbo run build --filter=cliphub...). Output: $OUT (or ./gpu-check)/.
set -euo pipefail
py=${1:?usage: gpu_check.sh PYTHON [MODEL_DIR ...]}
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-$root/gpu-check}
mkdir -p "$out"
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=("$root"/.cache/fixtures/models/*)
"$py" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else "no CUDA GPU visible to torch")'
status=0
for d in "${dirs[@]}"; do
  name=$(basename "$d")
  ref="$out/$name.safetensors"
  "$py" -W ignore "$root/tools/reference/make_reference.py" "local-dir:$d" --out "$ref" --inputs-from "$d/reference.safetensors"
  for mode in cuda_fp32 cuda_fp16-autocast cuda_bf16-autocast cuda_fp16-weights; do
    node "$root/apps/cli/dist/bin.js" validate "$ref#$mode" --reference "$ref" --json > "$out/$name.$mode.auto.json" || { echo "FAIL: $name $mode (auto)"; status=1; }
    if [ "$mode" != cuda_fp32 ]; then
      if node "$root/apps/cli/dist/bin.js" validate "$ref#$mode" --reference "$ref" --profile fp32 > /dev/null; then
        echo "UNEXPECTED PASS: $name $mode under fp32"; status=1
      fi
    fi
  done
  node "$root/apps/cli/dist/bin.js" validate "$ref#cuda_fp16-autocast" --reference "$ref" --report "$out/$name-report" > /dev/null || true
done
echo "references and reports in $out; status $status"
exit $status
