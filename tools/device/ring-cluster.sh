#!/usr/bin/env bash
# Runs on the GPU machine: `infermesh bench-ring-cluster` — N silo processes of the CLI sharing cuda:0 (Orleans
# development clustering on localhost, nothing to install), one TokenRing and one one-way ring prefill through grains
# across them, with prefill time, bytes moved, time in transfer per member, logits against single-process prefill
# and the greedy continuation after the KV gather. Results go to $OUT/ring-cluster.md (bench/results/tokenring.md
# takes them). Needs the CUDA BlockAttention/MergeAttention kernels (issue 9) in the bundle.
# Usage: bash tools/device/ring-cluster.sh "golden 1b 8b" [tokens]   (needs .devcarry/gpu/bundle.tar.xz from publish.sh)
# Environment: SILOS (default 2), DECODE_TOKENS (default 8).
set -uo pipefail
phases=${1:-"golden 1b"}
tokens=${2:-32768}
silos=${SILOS:-2}
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-/tmp/infermesh-out}
mkdir -p "$out"
work=/tmp/infermesh
if [[ ! -x $work/app/infermesh ]]; then
  rm -rf "$work" && mkdir -p "$work" && tar -xJf "$repo/.devcarry/gpu/bundle.tar.xz" -C "$work"
fi
app=$work/app
export LD_LIBRARY_PATH=/usr/local/cuda-13.0/targets/x86_64-linux/lib:${LD_LIBRARY_PATH:-}
export INFERMESH_COMMIT=$(head -c 200 "$app/commit.txt" | tr '\n' ' ')
export DOTNET_gcServer=0 COLUMNS=220
im() { "$app/infermesh" "$@"; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee -a "$out/device.txt"
status=0
for phase in $phases; do
  case $phase in
    golden)
      # Small and quick: the whole path on the GPU with the sliding-window golden model (fp32 weights, bf16 compute).
      im bench-ring-cluster --model "$repo/tests/fixtures/golden/tiny-mistral-sw8" --device cuda:0 --silos "$silos" --tokens 2000 \
        --out "$out/ring-cluster.md" > "$out/ring-cluster-golden.log" 2>&1 || status=$?
      tail -30 "$out/ring-cluster-golden.log"
      ;;
    1b|8b)
      shape=$([[ $phase == 1b ]] && echo llama-3.2-1b || echo llama-3.1-8b)
      dir=/tmp/$shape
      [[ -f $dir/config.json ]] || im make-model --shape "$shape" --dtype bf16 --seed 0 --out "$dir" 2>&1 | tail -2
      im bench-ring-cluster --model "$dir" --device cuda:0 --silos "$silos" --tokens "$tokens" --decode-tokens "${DECODE_TOKENS:-8}" \
        --out "$out/ring-cluster.md" > "$out/ring-cluster-$phase.log" 2>&1 || status=$?
      tail -30 "$out/ring-cluster-$phase.log"
      ;;
  esac
done
exit $status
