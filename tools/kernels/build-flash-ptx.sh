#!/usr/bin/env bash
# Regenerates the PTX of the CUDA C kernels in src/Kernels/Cuda/Flash (flash_attention.cu, paged_decode_attention.cu,
# gemv.cu).
# Needs nvcc (CUDA 11.8 or newer, for sm_90): on the GPU machine it is on the PATH; on a Debian 12 workstation,
# `apt-get install nvidia-cuda-toolkit` (non-free) gives 11.8, which needs clang-14 as host compiler (-ccbin).
# The PTX targets sm_90 (Hopper); the driver JIT-compiles it when the backend loads it. Prints register use.
set -euo pipefail
cd "$(dirname "$0")/../../src/Kernels/Cuda/Flash"
# nvcc 11.8 refuses gcc 12 (Debian 12's default): fall back to clang-14 as its host compiler.
for name in flash_attention paged_decode_attention gemv; do
  nvcc -ptx -arch=sm_90 -O3 -o $name.ptx $name.cu 2>/dev/null \
    || nvcc -ccbin clang-14 -ptx -arch=sm_90 -O3 -o $name.ptx $name.cu
  ptxas -arch=sm_90 -v $name.ptx -o /dev/null 2>&1 | grep -E 'Compiling|registers|spill'
done
