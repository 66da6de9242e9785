#!/usr/bin/env bash
# Runs on the GPU machine: the whole TokenRing benchmark (issue 9; issue 10 runs the same script on 2, 4, 8 GPUs) for
# however many GPUs the machine has (nvidia-smi -L): one GPU gives a two-member ring sharing it (cuda:0,cuda:0), N GPUs
# an N-member ring (cuda:0,...,cuda:N-1). For each shape: a random-weight model from `infermesh make-model`, then
# `infermesh bench-tokenring` — single-GPU prefill at each length through the engine, the per-step times the cost model
# uses, TokenRing and one-way ring prefill at each ring length checked against single-GPU prefill (logits, greedy
# continuation), bytes per layer, and the cost model's predictions — into $OUT/tokenring-<shape>.md and $OUT/tokenring.md.
# Usage: bash tools/device/tokenring-bench.sh [shapes] [single-GPU lengths] [ring lengths] [continuation tokens]
#   default: bash tools/device/tokenring-bench.sh "1b 8b" 32768,65536,131072 32768 8
# Needs .devcarry/gpu/bundle.tar.xz from tools/device/publish.sh.
set -uo pipefail
shapes=${1:-"1b 8b"}
lengths=${2:-32768,65536,131072}
ring_lengths=${3:-32768}
tokens=${4:-8}
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-/tmp/infermesh-out}
mkdir -p "$out"
work=/tmp/infermesh
if [[ ! -x $work/app/infermesh ]]; then
  rm -rf "$work" && mkdir -p "$work" && tar -xJf "$repo/.devcarry/gpu/bundle.tar.xz" -C "$work" || { echo "cannot unpack the bundle: run tools/device/publish.sh first"; exit 2; }
fi
app=$work/app
export LD_LIBRARY_PATH=/usr/local/cuda-13.0/targets/x86_64-linux/lib:${LD_LIBRARY_PATH:-}
export INFERMESH_COMMIT=$(head -c 200 "$app/commit.txt" | tr '\n' ' ')
export DOTNET_gcServer=0 COLUMNS=220
gpus=$(nvidia-smi -L | grep -c '^GPU ')
if (( gpus <= 1 )); then
  devices=cuda:0,cuda:0
else
  devices=$(seq -s, -f 'cuda:%g' 0 $((gpus - 1)))
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/device.txt"
echo "commit $INFERMESH_COMMIT; ring members: $devices" | tee -a "$out/device.txt"
status=0
: > "$out/tokenring.md"
for shape in $shapes; do
  case $shape in
    1b) name=llama-3.2-1b ;;
    8b) name=llama-3.1-8b ;;
    *) echo "unknown shape $shape (use 1b or 8b)"; status=2; continue ;;
  esac
  dir=/tmp/$name
  [[ -f $dir/config.json ]] || "$app/infermesh" make-model --shape "$name" --dtype bf16 --seed 0 --out "$dir" 2>&1 | tail -1
  echo "== bench-tokenring $name on $devices: single-GPU $lengths, ring $ring_lengths"
  start=$SECONDS
  "$app/infermesh" bench-tokenring --model "$dir" --devices "$devices" --lengths "$lengths" --ring-lengths "$ring_lengths" \
    --tokens "$tokens" --out "$out/tokenring-$shape.md" > "$out/tokenring-$shape.log" 2>&1
  rc=$?
  (( rc != 0 )) && status=$rc
  grep '^\[infermesh\]' "$out/tokenring-$shape.log" | grep -v 'loading\|KV cache' | tail -40
  (( rc != 0 && rc != 2 )) && tail -20 "$out/tokenring-$shape.log"
  echo "($name: $((SECONDS - start)) s, exit $rc)"
  [[ -f $out/tokenring-$shape.md ]] && { cat "$out/tokenring-$shape.md" >> "$out/tokenring.md"; echo >> "$out/tokenring.md"; }
done
cat "$out/tokenring.md"
exit $status
