#!/usr/bin/env bash
# Runs on the GPU machine (no .NET SDK there: the bundle is self-contained). Unpacks the bundle made by publish.sh
# under /tmp, points the loader at CUDA 13's cuBLAS, runs the GPU tests (kernel tests, then the engine's golden-model
# tests, which read the fixtures of the checkout this script's carry folder sits in) and/or the kernel benchmarks,
# and leaves logs and results in $OUT. Usage: bash gpu-tests.sh [tests|bench|all|flash]   (default: all)
# flash: only the flash attention and block attention kernel tests, then the flash prefill timing (both row variants).
set -uo pipefail
mode=${1:-all}
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/infermesh-out}
mkdir -p "$out"
work=/tmp/infermesh
rm -rf "$work" && mkdir -p "$work"
tar -xJf "$here/bundle.tar.xz" -C "$work" || { echo "cannot unpack $here/bundle.tar.xz"; exit 2; }
app=$work/app
export LD_LIBRARY_PATH=/usr/local/cuda-13.0/targets/x86_64-linux/lib:${LD_LIBRARY_PATH:-}
export INFERMESH_COMMIT=$(head -c 200 "$app/commit.txt" | tr '\n' ' ')
export DOTNET_gcServer=0
nvidia-smi --query-gpu=name,memory.total,memory.used,driver_version,clocks.sm,clocks.mem --format=csv | tee "$out/device.txt"
status=0
if [[ $mode == tests || $mode == all ]]; then
  (cd "$app" && ./InferMesh.Kernels.Tests -trait "Category=Gpu" -noColor -parallel none -xml "$out/gpu-tests.xml") 2>&1 | tee "$out/gpu-tests.log"
  status=${PIPESTATUS[0]}
  grep -E "Total:|\[FAIL\]" "$out/gpu-tests.log" | tail -40
  (cd "$app" && INFERMESH_REPO=$(cd "$here/../.." && pwd) ./InferMesh.Engine.Tests -trait "Category=Gpu" -noColor -parallel none -xml "$out/gpu-engine-tests.xml") 2>&1 | tee "$out/gpu-engine-tests.log"
  engine=${PIPESTATUS[0]}
  [[ $engine -ne 0 ]] && status=$engine
  grep -E "Total:|\[FAIL\]" "$out/gpu-engine-tests.log" | tail -40
fi
if [[ $mode == flash ]]; then
  (cd "$app" && ./InferMesh.Kernels.Tests -class "*.FlashAttentionTests" -class "*.CudaBlockAttentionTests" -noColor -parallel none -xml "$out/flash-tests.xml") 2>&1 | tee "$out/flash-tests.log"
  status=${PIPESTATUS[0]}
  grep -E "Total:|\[FAIL\]" "$out/flash-tests.log" | tail -40
  export INFERMESH_FLASH_BENCH_OUT=$out/gpu-flash.md
  (cd "$app" && ./InferMesh.Kernels.Tests -method "*.Measure_flash_prefill_variants" -noColor -parallel none) > "$out/flash-bench.log" 2>&1
  bench=$?
  [[ $bench -ne 0 ]] && { tail -60 "$out/flash-bench.log"; status=$bench; }
  [[ -f $INFERMESH_FLASH_BENCH_OUT ]] && cat "$INFERMESH_FLASH_BENCH_OUT"
fi
if [[ $mode == bench || $mode == all ]]; then
  export INFERMESH_BENCH_OUT=$out/gpu-kernels.md
  export INFERMESH_FLASH_BENCH_OUT=$out/gpu-flash.md
  (cd "$app" && ./InferMesh.Kernels.Tests -trait "Category=GpuBench" -noColor -parallel none) > "$out/gpu-bench.log" 2>&1
  bench=$?
  [[ $bench -ne 0 ]] && { tail -60 "$out/gpu-bench.log"; status=$bench; }
  [[ -f $INFERMESH_BENCH_OUT ]] && cat "$INFERMESH_BENCH_OUT"
fi
exit $status
