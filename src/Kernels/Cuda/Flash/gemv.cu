// Decode-sized linear layers (GEMV over 1..8 rows) for InferMesh's CUDA backend. Source of gemv.ptx, embedded in
// the backend and loaded through the driver API; regenerate with tools/kernels/build-flash-ptx.sh after editing.
//
// Contract (the same as IComputeBackend.MatMul without bias, CPU twin CpuMatMul): y[T x N] = x[T x K] . W[N x K]^T,
// T = 1..8, W row-major [out x in] in bf16 or fp16, x in W's type, fp32 accumulation, y in W's type or fp32 (the LM
// head writes fp32 logits). K must be a multiple of 8 and x and W 16-byte aligned (every row then starts on a 16-byte
// boundary); the backend sends anything else to cuBLAS.
//
// Why: at decode every linear layer reads its whole weight matrix for a handful of rows, so the bar is the memory
// bandwidth. cuBLAS reaches ~80% of the copy bandwidth on large decode products and 20-30% on small ones
// (bench/results/gpu-kernels.md). This kernel streams W once with 16-byte loads that bypass L1 and keeps 8 of them in
// flight per thread.
//
// How: the products run on tensor cores (mma.sync m16n8k16, fp32 accumulators), so the arithmetic of 8 rows costs
// what 1 row costs and the issue slots go to loads. A warp owns a tile of 16 weight rows (the MMA's M) against all T
// rows of x (its N = 8; columns >= T are computed and dropped). A dot product does not care in which order its k terms
// are summed, as long as A and B agree: lane (g = lane/4, q = lane%4) loads the 8 consecutive elements
// [k + 8q, k + 8q + 8) of weight rows g and g+8 and of x row g in one 16-byte load each, and feeds elements 0-3 to one
// MMA and 4-7 to the next. In the MMA's fragment layout (PTX ISA, "Matrix Fragments for mma.m16n8k16") the lane's A
// registers (rows g, g+8) and B registers (column g) cover the same four k slots {2q, 2q+1, 2q+8, 2q+9}, so relabeling
// physical k to those slots is consistent between W and x and no shuffle or shared-memory staging is needed. One
// iteration covers 128 k: per lane 4 chunks x 2 weight rows = 8 weight loads plus 4 x loads, then 8 MMAs. x is read
// through the read-only path (L1/L2: it is T/16 of the weight bytes and shared by the block's tiles); weights are
// read with L1::no_allocate so they do not evict it.
//
// Grid: blocks of 32 x warps threads; the splitK warps of one tile divide K into ranges of whole 128-k iterations and
// add their accumulators through shared memory (deterministic, no atomics); warps / splitK tiles share a block. The
// host picks splitK so that small-N products still put enough loads in flight (GemvKernel.Launch).

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

struct GemvParams
{
    const void* x;
    const void* w;
    void* y;
    int rows;      // T, 1..8
    int n;         // output features (weight rows)
    int k;         // input features, a multiple of 8
    int splitK;    // warps that share one 16-row tile, a power of two <= MAX_WARPS
    int splitLen;  // input features per split, a multiple of ITER_K
};

#define MAX_WARPS 16
#define TILE_ROWS 16
#define CHUNKS 4                 // 16-byte chunks per weight row per lane and iteration
#define ITER_K (CHUNKS * 32)     // 4 lanes x 8 elements per chunk

// Weights are read exactly once: no L1 allocation (keeps x resident in L1), read-only path.
// https://docs.nvidia.com/cuda/parallel-thread-execution/#data-movement-and-conversion-instructions-ld
__device__ __forceinline__ uint4 load_streamed(const void* p)
{
    uint4 v;
    asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
                 : "l"(p));
    return v;
}

__device__ __forceinline__ uint4 load_cached(const void* p) { return __ldg(reinterpret_cast<const uint4*>(p)); }

template <typename T>
struct GemvMma;

template <>
struct GemvMma<__nv_bfloat16>
{
    static __device__ __forceinline__ void run(float* c, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0, uint32_t b1)
    {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
    }
};

template <>
struct GemvMma<__half>
{
    static __device__ __forceinline__ void run(float* c, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0, uint32_t b1)
    {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
    }
};

__device__ __forceinline__ void store(__nv_bfloat16* y, size_t i, float v) { y[i] = __float2bfloat16_rn(v); }
__device__ __forceinline__ void store(__half* y, size_t i, float v) { y[i] = __float2half_rn(v); }
__device__ __forceinline__ void store(float* y, size_t i, float v) { y[i] = v; }

// One 16-byte chunk of rows g and g+8 against x row g: elements 0-3 feed the first MMA, 4-7 the second (see header).
template <typename T>
__device__ __forceinline__ void mma_chunk(float* acc0, float* acc1, const uint4& lo, const uint4& hi, const uint4& xv)
{
    GemvMma<T>::run(acc0, lo.x, hi.x, lo.y, hi.y, xv.x, xv.y);
    GemvMma<T>::run(acc1, lo.z, hi.z, lo.w, hi.w, xv.z, xv.w);
}

template <typename T, typename Out>
__device__ __forceinline__ void gemv(const GemvParams& p)
{
    __shared__ float partial[MAX_WARPS][4][32];

    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int g = lane >> 2;
    const int q = lane & 3;
    const int tilesPerBlock = (blockDim.x >> 5) / p.splitK;
    const int tile = blockIdx.x * tilesPerBlock + warp / p.splitK;
    const int split = warp % p.splitK;
    const int row0 = tile * TILE_ROWS;
    const bool active = row0 < p.n; // warps past the last tile still join the block reduction

    // Rows past N and x rows past T are clamped to valid ones: their results land in C entries nobody writes.
    const T* wLo = reinterpret_cast<const T*>(p.w) + (size_t)min(row0 + g, p.n - 1) * p.k + q * 8;
    const T* wHi = reinterpret_cast<const T*>(p.w) + (size_t)min(row0 + g + 8, p.n - 1) * p.k + q * 8;
    const T* xRow = reinterpret_cast<const T*>(p.x) + (size_t)min(g, p.rows - 1) * p.k + q * 8;

    const int kBegin = split * p.splitLen;
    const int kEnd = active ? min(p.k, kBegin + p.splitLen) : kBegin;

    // Two accumulator sets, so consecutive MMAs do not wait on each other.
    float acc0[4] = {0.f, 0.f, 0.f, 0.f};
    float acc1[4] = {0.f, 0.f, 0.f, 0.f};
    int kb = kBegin;
    for (; kb + ITER_K <= kEnd; kb += ITER_K)
    {
        uint4 lo[CHUNKS], hi[CHUNKS], xv[CHUNKS];
#pragma unroll
        for (int c = 0; c < CHUNKS; c++)
        {
            lo[c] = load_streamed(wLo + kb + c * 32);
            hi[c] = load_streamed(wHi + kb + c * 32);
        }
#pragma unroll
        for (int c = 0; c < CHUNKS; c++)
            xv[c] = load_cached(xRow + kb + c * 32);
#pragma unroll
        for (int c = 0; c < CHUNKS; c++)
            mma_chunk<T>(acc0, acc1, lo[c], hi[c], xv[c]);
    }
    // The tail (only in the last split): 32 k per step; a lane whose 8 elements lie past K contributes zeros (both
    // operands zero, so unread memory cannot inject NaN). The MMA itself runs on every lane (it is warp-wide).
    for (; kb < kEnd; kb += 32)
    {
        const bool valid = kb + q * 8 < kEnd;
        const uint4 zero = make_uint4(0, 0, 0, 0);
        const uint4 lo = valid ? load_streamed(wLo + kb) : zero;
        const uint4 hi = valid ? load_streamed(wHi + kb) : zero;
        const uint4 xv = valid ? load_cached(xRow + kb) : zero;
        mma_chunk<T>(acc0, acc1, lo, hi, xv);
    }

    float c[4];
#pragma unroll
    for (int i = 0; i < 4; i++)
        c[i] = acc0[i] + acc1[i];

    if (p.splitK > 1)
    {
#pragma unroll
        for (int i = 0; i < 4; i++)
            partial[warp][i][lane] = c[i];
        __syncthreads();
        if (split != 0)
            return;
        for (int s = 1; s < p.splitK; s++)
        {
#pragma unroll
            for (int i = 0; i < 4; i++)
                c[i] += partial[warp + s][i][lane];
        }
    }
    if (!active)
        return;

    // C fragment: c0, c1 = (weight row g, x rows 2q, 2q+1); c2, c3 = (weight row g+8, same x rows).
    Out* y = reinterpret_cast<Out*>(p.y);
    const int r = 2 * q;
    const int m0 = row0 + g;
    const int m1 = m0 + 8;
    if (m0 < p.n)
    {
        if (r < p.rows)
            store(y, (size_t)r * p.n + m0, c[0]);
        if (r + 1 < p.rows)
            store(y, (size_t)(r + 1) * p.n + m0, c[1]);
    }
    if (m1 < p.n)
    {
        if (r < p.rows)
            store(y, (size_t)r * p.n + m1, c[2]);
        if (r + 1 < p.rows)
            store(y, (size_t)(r + 1) * p.n + m1, c[3]);
    }
}

// The minimum of one block per SM matters: with the thread bound alone ptxas (11.8) holds the kernel to 60 registers
// by issuing each chunk's loads just before its MMA (about 5 loads in flight instead of 12); with it, all 12 loads
// of an iteration go out first (90 registers, no spills).
#define GEMV_ENTRY(name, T, Out)                                                                 \
    extern "C" __global__ void __launch_bounds__(MAX_WARPS * 32, 1) name(const GemvParams p) \
    {                                                                                          \
        gemv<T, Out>(p);                                                                       \
    }

GEMV_ENTRY(gemv_bf16, __nv_bfloat16, __nv_bfloat16)
GEMV_ENTRY(gemv_bf16_f32, __nv_bfloat16, float)
GEMV_ENTRY(gemv_f16, __half, __half)
GEMV_ENTRY(gemv_f16_f32, __half, float)
