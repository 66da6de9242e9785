#!/usr/bin/env bash
# Runs on the GPU machine (after tools/device/publish.sh; carry .devcarry/gpu and .devcarry/corpus, the latter
# holding licenses.txt = cat /usr/share/common-licenses/*). One short device call: Cache-Craft vs prefix caching vs full recomputation on the 8B shape in the steady state
# (every pool chunk served once first): 5x512, then 10x256 while time is left.
set -uo pipefail
start=$(date +%s)
repo=$(pwd)
out=${OUT:-/tmp/out}; mkdir -p "$out"
work=/tmp/infermesh; mkdir -p $work && tar -xJf .devcarry/gpu/bundle.tar.xz -C $work
export LD_LIBRARY_PATH=/usr/local/cuda-13.0/targets/x86_64-linux/lib:${LD_LIBRARY_PATH:-} COLUMNS=220
im=$work/app/infermesh
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/device.txt"; cat $work/app/commit.txt
$im make-model --shape llama-3.1-8b --dtype bf16 --seed 0 --out /tmp/m8b 2>&1 | tail -1
echo "model written after $(( $(date +%s) - start )) s"
for shape in "5 512" "10 256"; do
  set -- $shape
  left=$(( ${BUDGET_S:-260} - ($(date +%s) - start) ))
  [[ $left -lt 30 ]] && break
  timeout $left $im bench-rag --model /tmp/m8b --device cuda:0 --chunks $1 --chunk-tokens $2 --pool 30 --requests 24 --answer-tokens 16 \
    --modes full,prefix,cachecraft --precompute --corpus "$repo/.devcarry/corpus/licenses.txt" --out "$out/rag-8b.md" > "$out/rag-8b-$1x$2.log" 2>&1
  echo "$1x$2 done (rc $?) after $(( $(date +%s) - start )) s"; tail -2 "$out/rag-8b-$1x$2.log"
done
cat "$out/rag-8b.md"
