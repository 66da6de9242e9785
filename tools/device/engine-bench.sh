#!/usr/bin/env bash
# Runs on the GPU machine: the engine on CUDA against the golden references, `generate --device cuda:0`, then for
# each requested shape a random-weight model written by `infermesh make-model`, benchmarked by `infermesh
# bench-engine` and by transformers (bench/peers/hf_transformers.py) on the same folder, prompts and batch sizes.
# Usage: bash tools/device/engine-bench.sh "golden 1b 8b"   (needs .devcarry/gpu/bundle.tar.xz from publish.sh)
# BATCHES=1,64 narrows the decode batch sizes; PEERS=0 skips transformers (ours only).
set -uo pipefail
phases=${1:-"golden 1b"}
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-/tmp/infermesh-out}
mkdir -p "$out"
work=/tmp/infermesh
if [[ ! -x $work/app/infermesh ]]; then
  rm -rf "$work" && mkdir -p "$work" && tar -xJf "$repo/.devcarry/gpu/bundle.tar.xz" -C "$work"
fi
app=$work/app
export LD_LIBRARY_PATH=/usr/local/cuda-13.0/targets/x86_64-linux/lib:${LD_LIBRARY_PATH:-}
export PYTHONUNBUFFERED=1 COLUMNS=220
im() { "$app/infermesh" "$@"; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee -a "$out/device.txt"
cat "$app/commit.txt" | tee -a "$out/device.txt"
for phase in $phases; do
  case $phase in
    golden)
      # auto: fp32 checkpoints run in f32 (tokens must match), the bf16 one in bf16 (logits within bf16 tolerance);
      # then every model once more with bf16 activations, for the record.
      for dtype in auto bf16; do
        for m in "$repo"/tests/fixtures/golden/*/; do
          echo "== check $(basename "$m") on cuda:0, --activation-dtype $dtype" | tee -a "$out/golden-cuda.log"
          im check --model "$m" --device cuda:0 --activation-dtype $dtype >> "$out/golden-cuda.log" 2>&1; tail -2 "$out/golden-cuda.log"
        done
      done
      im generate --model "$repo/tests/fixtures/golden/tiny-llama" --device cuda:0 --prompt "The quick brown fox" --max-tokens 24 2>&1 | tee "$out/generate-cuda.log"
      ;;
    1b|8b)
      shape=$([[ $phase == 1b ]] && echo llama-3.2-1b || echo llama-3.1-8b)
      dir=/tmp/$shape
      [[ -f $dir/config.json ]] || im make-model --shape "$shape" --dtype bf16 --seed 0 --out "$dir" 2>&1 | tail -2
      prefill=$([[ $phase == 8b ]] && echo "512,2048,8192" || echo "512,2048")
      im bench-engine --model "$dir" --device cuda:0 --batch ${BATCHES:-1,8,32,64,128} --context 512 --tokens 64 --prefill "$prefill" \
        --max-context 8800 --out "$out/ours-$phase.md" > "$out/ours-$phase.log" 2>&1; tail -14 "$out/ours-$phase.log"
      [[ ${PEERS:-1} == 0 ]] && continue
      timeout ${HF_TIMEOUT:-300} python3 "$repo/bench/peers/hf_transformers.py" --model "$dir" --batch ${HF_BATCH:-1,8,32,64,128} --context 512 --tokens 64 \
        --prefill "$prefill" --modes ${HF_MODES:-eager,static} --json "$out/hf-$phase.json" > "$out/hf-$phase.md" 2> "$out/hf-$phase.log"
      cat "$out/hf-$phase.md"; tail -3 "$out/hf-$phase.log"
      ;;
    rag8b)
      dir=/tmp/llama-3.1-8b
      [[ -f $dir/config.json ]] || im make-model --shape llama-3.1-8b --dtype bf16 --seed 0 --out "$dir" 2>&1 | tail -1
      for shape in "5 512" "10 256"; do
        set -- $shape
        # RAG_EXTRA=--precompute measures the steady state (every pool chunk served once first, in every mode).
        im bench-rag --model "$dir" --device cuda:0 --chunks $1 --chunk-tokens $2 --pool 30 --requests ${RAG_REQUESTS:-24} --answer-tokens 16 \
          --modes ${RAG_MODES:-full,prefix,cachecraft,fixed-0.15} ${RAG_EXTRA:-} --corpus "$repo/.devcarry/corpus/licenses.txt" --out "$out/rag-8b.md" > "$out/rag-8b-$1x$2.log" 2>&1
        tail -3 "$out/rag-8b-$1x$2.log"
      done
      cat "$out/rag-8b.md"
      ;;
  esac
done
