#!/usr/bin/env bash
# One device call that does a session's GPU work in order, each phase under its own time limit so a slow phase
# cannot eat the others: GPU tests (kernels, then the engine on the golden models), bench-engine on the 1B and 8B
# shapes (ours; transformers too with PEERS=1), the steady-state Cache-Craft run on the 8B shape, and, when Nsight
# Systems is installed there, a per-kernel profile of a short 1B decode. Needs .devcarry/gpu (tools/device/publish.sh)
# and .devcarry/corpus/licenses.txt (cat /usr/share/common-licenses/*). Usage, from the repo root on the device:
#   PHASES="tests 1b 8b rag profile" bash tools/device/session-run.sh
# Phase teacher (asked for by name): every position's logits of a 512-token prompt on the 1B shape, ours against
# transformers' (issue 5's bar), in teacher-1b.md.
set -uo pipefail
start=$(date +%s)
repo=$(pwd)
out=${OUT:-/tmp/out}; mkdir -p "$out"
work=/tmp/infermesh; rm -rf $work; mkdir -p $work && tar -xJf .devcarry/gpu/bundle.tar.xz -C $work
app=$work/app; im=$app/infermesh
export LD_LIBRARY_PATH=/usr/local/cuda-13.0/targets/x86_64-linux/lib:${LD_LIBRARY_PATH:-} COLUMNS=220 PYTHONUNBUFFERED=1
export INFERMESH_COMMIT=$(head -c 200 "$app/commit.txt" | tr '\n' ' ') DOTNET_gcServer=0
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/device.txt"; cat "$app/commit.txt" | tee -a "$out/device.txt"
elapsed() { echo $(( $(date +%s) - start )); }
model() { # shape dir
  [[ -f $2/config.json ]] || $im make-model --shape "$1" --dtype bf16 --seed 0 --out "$2" 2>&1 | tail -1
}
for phase in ${PHASES:-tests 1b 8b rag profile}; do
  echo "== $phase at $(elapsed) s"
  case $phase in
    tests)
      (cd "$app" && timeout ${TESTS_S:-200} ./InferMesh.Kernels.Tests -trait "Category=Gpu" -noColor -parallel none) > "$out/gpu-tests.log" 2>&1
      grep -E "Total:|\[FAIL\]" "$out/gpu-tests.log" | tail -30
      (cd "$app" && INFERMESH_REPO=$repo timeout ${ENGINE_TESTS_S:-150} ./InferMesh.Engine.Tests -trait "Category=Gpu" -noColor -parallel none) > "$out/gpu-engine-tests.log" 2>&1
      grep -E "Total:|\[FAIL\]" "$out/gpu-engine-tests.log" | tail -30
      ;;
    bench)
      (cd "$app" && INFERMESH_BENCH_OUT=$out/gpu-kernels.md timeout ${BENCH_S:-150} ./InferMesh.Kernels.Tests -trait "Category=GpuBench" -noColor -parallel none) > "$out/gpu-bench.log" 2>&1
      tail -5 "$out/gpu-bench.log"; [[ -f $out/gpu-kernels.md ]] && cat "$out/gpu-kernels.md"
      ;;
    flashbench)
      (cd "$app" && INFERMESH_FLASH_BENCH_OUT=$out/gpu-flash.md timeout ${BENCH_S:-90} ./InferMesh.Kernels.Tests -method "*Measure_flash_prefill_variants" -noColor -parallel none) > "$out/gpu-flash.log" 2>&1
      tail -3 "$out/gpu-flash.log"; [[ -f $out/gpu-flash.md ]] && cat "$out/gpu-flash.md"
      ;;
    gemvbench)
      (cd "$app" && INFERMESH_GEMV_BENCH_OUT=$out/gpu-gemv.md timeout ${BENCH_S:-90} ./InferMesh.Kernels.Tests -method "*Measure_gemv_against_cublas_at_decode_shapes" -noColor -parallel none) > "$out/gpu-gemv.log" 2>&1
      tail -3 "$out/gpu-gemv.log"; [[ -f $out/gpu-gemv.md ]] && cat "$out/gpu-gemv.md"
      ;;
    1b|8b|1b-*|8b-*)
      # A suffix names an environment switch for a side-by-side run: -nogemv (cuBLAS for decode GEMVs), -flash64,
      # -splitN (N keys per decode split).
      variant=${phase#*-}; [[ $variant == $phase ]] && variant=""
      unset INFERMESH_GEMV INFERMESH_FLASH_ROWS INFERMESH_DECODE_SPLIT
      [[ $variant == nogemv ]] && export INFERMESH_GEMV=0
      [[ $variant == split* ]] && export INFERMESH_DECODE_SPLIT=${variant#split}
      [[ $variant == flash64 ]] && export INFERMESH_FLASH_ROWS=64
      phase=${phase%%-*}
      shape=$([[ $phase == 1b ]] && echo llama-3.2-1b || echo llama-3.1-8b); dir=/tmp/$shape
      model $shape $dir
      prefill=$([[ $phase == 8b ]] && echo "512,2048,8192" || echo "512,2048")
      batches=${BATCHES:-1,8,32,64,128}
      [[ -n $variant ]] && { batches=${VARIANT_BATCHES:-$batches}; prefill=${VARIANT_PREFILL:-$prefill}; }
      timeout ${BENCH_ENGINE_S:-200} $im bench-engine --model $dir --device cuda:0 --batch $batches --context 512 --tokens 64 \
        --prefill ${PREFILL:-$prefill} --max-context 8800 --out "$out/ours-$phase$variant.md" > "$out/ours-$phase$variant.log" 2>&1
      tail -12 "$out/ours-$phase$variant.log"; unset INFERMESH_GEMV INFERMESH_FLASH_ROWS INFERMESH_DECODE_SPLIT
      if [[ ${PEERS:-0} == 1 && -z $variant ]]; then
        timeout ${HF_TIMEOUT:-240} python3 bench/peers/hf_transformers.py --model $dir --batch ${HF_BATCH:-1,64} --context 512 --tokens 64 \
          --prefill $prefill --modes ${HF_MODES:-eager,static} --json "$out/hf-$phase.json" > "$out/hf-$phase.md" 2> "$out/hf-$phase.log"
        cat "$out/hf-$phase.md"; tail -3 "$out/hf-$phase.log"
      fi
      ;;
    rag)
      dir=/tmp/llama-3.1-8b; model llama-3.1-8b $dir
      for shape in "5 512" "10 256"; do
        set -- $shape
        timeout ${RAG_S:-150} $im bench-rag --model $dir --device cuda:0 --chunks $1 --chunk-tokens $2 --pool 30 --requests 24 --answer-tokens 16 \
          --modes ${RAG_MODES:-full,prefix,cachecraft,fixed-0.15} --precompute --corpus "$repo/.devcarry/corpus/licenses.txt" --out "$out/rag-8b.md" > "$out/rag-8b-$1x$2.log" 2>&1
        echo "$1x$2 rc $? at $(elapsed) s"; tail -2 "$out/rag-8b-$1x$2.log"
      done
      [[ -f $out/rag-8b.md ]] && cat "$out/rag-8b.md"
      ;;
    teacher)
      # Teacher forced over one prompt: transformers (bf16, sdpa) writes every position's logits, then ours, whole-prompt
      # prefill and 64-token chunks (TEACHER_CHUNKS; "whole" = one step), each compared with transformers' logits as it
      # returns them (rounded to bf16) and with its final hidden states through an fp32 lm_head (as ours are written).
      dir=/tmp/llama-3.2-1b; model llama-3.2-1b $dir; tf=/tmp/teacher; rm -rf $tf; mkdir -p $tf; py=bench/peers/hf_teacher_forced.py
      text=$repo/.devcarry/corpus/licenses.txt; [[ -f $text ]] || text=$repo/README.md
      vocab=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["vocab_size"])' $dir/config.json)
      timeout 120 python3 $py make-ids $dir --tokens ${TEACHER_TOKENS:-512} --seed 0 --text "$text" --out $tf/ids.json 2>&1 | tail -1
      cp $tf/ids.json "$out/teacher-ids.json"
      timeout ${TEACHER_S:-240} python3 $py reference $dir --ids $tf/ids.json --out $tf/hf.f32 --fp32-head-out $tf/hf-head32.f32 > "$out/teacher-hf.log" 2>&1
      echo "transformers rc $?"; tail -3 "$out/teacher-hf.log"
      : > "$out/teacher-1b.md"
      for chunk in ${TEACHER_CHUNKS:-whole 64}; do
        timeout ${TEACHER_S:-240} $im logits --model $dir --device cuda:0 --ids $tf/ids.json --out $tf/ours-$chunk.f32 \
          $([[ $chunk == whole ]] || echo "--chunk $chunk") > "$out/teacher-ours-$chunk.log" 2>&1
        echo "ours ($chunk) rc $?"; tail -2 "$out/teacher-ours-$chunk.log"
        for theirs in hf head32; do
          ref=$tf/hf.f32; [[ $theirs == head32 ]] && ref=$tf/hf-head32.f32
          { echo "### ours (prefill chunk: $chunk) vs transformers ($([[ $theirs == hf ]] && echo "its bf16 logits" || echo "its final hidden states through an fp32 lm_head"))"; echo
            timeout 120 python3 $py compare --ours $tf/ours-$chunk.f32 --theirs $ref --vocab $vocab --json "$out/teacher-1b-$chunk-$theirs.json"; echo; } >> "$out/teacher-1b.md" 2>&1
        done
      done
      cat "$out/teacher-1b.md"
      ;;
    profile)
      nsys=$(command -v nsys || ls /usr/local/cuda*/bin/nsys /opt/nvidia/nsight-systems/*/bin/nsys 2>/dev/null | head -1)
      [[ -z $nsys ]] && { echo "no nsys on this machine"; continue; }
      dir=/tmp/llama-3.2-1b; model llama-3.2-1b $dir
      timeout ${PROFILE_S:-120} $nsys profile -o /tmp/prof1b --force-overwrite true --cuda-graph-trace=node -t cuda \
        $im bench-engine --model $dir --device cuda:0 --batch 1,64 --context 512 --tokens 64 --prefill 512 > "$out/profile-1b.log" 2>&1
      $nsys stats --report cuda_gpu_kern_sum --format csv /tmp/prof1b.nsys-rep > "$out/profile-1b-kernels.csv" 2>/dev/null
      head -25 "$out/profile-1b-kernels.csv"
      ;;
  esac
done
echo "== done at $(elapsed) s"
