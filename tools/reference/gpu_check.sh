#!/usr/bin/env bash
# One prepared run for a machine with a CUDA GPU and a CUDA build of torch + open_clip 3.3.0:
# writes references (CPU fp32 + the four CUDA modes) and judges every CUDA mode with
# `cliphub validate --profile auto` (it must pass) and `--profile fp32` (fp16/bf16 must fail).
#
# Usage:
#   tools/reference/gpu_check.sh PYTHON [MODEL ...]   references, then the judgement where node is found
#   tools/reference/gpu_check.sh --judge DIR           judge references made elsewhere (no GPU needed)
# MODEL: a model directory (open_clip_config.json + weights + reference.safetensors, whose inputs are
# reused) or an architecture name (random seeded init, $GPU_CHECK_N or 16 seeded samples). Default:
# .cache/fixtures/models/*. GPU machines often have no Node: then the references are written and the
# judgement is left to `--judge` on a machine that has it (the CLI built: npx turbo run build).
# Output: $OUT (or ./gpu-check)/.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cli="$root/apps/cli/dist/bin.js"

judge() {
  local dir=$1 status=0 ref name mode
  for ref in "$dir"/*.safetensors; do
    name=$(basename "$ref" .safetensors)
    for mode in cuda_fp32 cuda_fp16-autocast cuda_bf16-autocast cuda_fp16-weights; do
      if node "$cli" validate "$ref#$mode" --reference "$ref" --json >"$dir/$name.$mode.auto.json"; then
        echo "pass: $name $mode (auto)"
      else
        echo "FAIL: $name $mode (auto)"
        status=1
      fi
      if [ "$mode" != cuda_fp32 ]; then
        if node "$cli" validate "$ref#$mode" --reference "$ref" --profile fp32 >/dev/null; then
          echo "UNEXPECTED PASS: $name $mode under fp32"
          status=1
        else
          echo "fails fp32 as it should: $name $mode"
        fi
      fi
    done
    node "$cli" validate "$ref#cuda_fp16-autocast" --reference "$ref" --report "$dir/$name-report" >/dev/null || true
  done
  echo "judged references in $dir; status $status"
  return $status
}

if [ "${1:-}" = --judge ]; then
  judge "${2:?usage: gpu_check.sh --judge DIR}"
  exit $?
fi

py=${1:?usage: gpu_check.sh PYTHON [MODEL ...] | gpu_check.sh --judge DIR}
shift
out=${OUT:-$root/gpu-check}
mkdir -p "$out"
models=("$@")
[ ${#models[@]} -gt 0 ] || models=("$root"/.cache/fixtures/models/*)
"$py" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else "no CUDA GPU visible to torch")'
"$py" -c 'import torch, open_clip, timm; print("torch", torch.__version__, "open_clip", open_clip.__version__, "timm", timm.__version__, "gpu", torch.cuda.get_device_name(0))' | tee "$out/environment.txt"
made=0
for m in "${models[@]}"; do
  name=$(basename "$m")
  if [ -d "$m" ]; then
    args=("local-dir:$m" --inputs-from "$m/reference.safetensors")
  else
    args=("$m" --n "${GPU_CHECK_N:-16}")
  fi
  if "$py" -W ignore "$root/tools/reference/make_reference.py" "${args[@]}" --out "$out/$name.safetensors"; then
    made=$((made + 1))
  else
    echo "FAIL: no reference for $name"
  fi
done
echo "$made of ${#models[@]} references written to $out"
if command -v node >/dev/null && [ -f "$cli" ]; then
  judge "$out"
else
  echo "no node or no built CLI here: judge them with tools/reference/gpu_check.sh --judge DIR where both exist"
  [ "$made" = "${#models[@]}" ]
fi
