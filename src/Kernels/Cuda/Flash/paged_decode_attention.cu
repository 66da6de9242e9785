// Paged decode attention (flash-decoding: Dao et al., 2023; paged KV as in vLLM's PagedAttention, Kwon et al., SOSP
// 2023) for InferMesh's CUDA backend. Source of paged_decode_attention.ptx, embedded in the backend and loaded through
// the driver API; regenerate with tools/kernels/build-flash-ptx.sh after editing.
//
// The same contract as the ILGPU kernel it replaces on the hot path (DecodeAttentionKernel.Run): one thread block per
// (query row, KV head, key split); a split covers the fixed absolute positions [split·S, split·S + S) clipped to the
// row's causal/sliding-window range, so a row's numbers never depend on the batch. With one split the block writes
// the output row and LSE; with several it writes fp32 partials ((row·H + head)·splits + split) that the merge kernel
// combines. Why it is faster: keys and values are read straight from the cache in 16-byte vectors (no fp32 staging
// in shared memory), and each key row is read once for all heads of its GQA group (up to 8) held in registers.

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

struct DecodeParams
{
    const void* q;
    const void* kc;
    const void* vc;
    void* o;
    float* lse;
    float* partialOut;
    float* partialLse;
    const int* querySequence;
    const int* queryPosition;
    const int* blockTables;
    const int* rowMap;
    int numHeads;
    int numKvHeads;
    int blockSize;
    int maxBlocks;
    int window;
    int splitSize;
    int numSplits;
    int useRowMap;
    float scaleLog2;
};

#define DECODE_THREADS 128
#define DECODE_WARPS (DECODE_THREADS / 32)
#define MAX_GROUP 8
#define MAX_SPLIT 128

template <typename T>
struct Vec8;

template <>
struct Vec8<__nv_bfloat16>
{
    static __device__ __forceinline__ void load(const __nv_bfloat16* p, float* out)
    {
        uint4 raw = *reinterpret_cast<const uint4*>(p);
        const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&raw);
#pragma unroll
        for (int i = 0; i < 4; i++)
        {
            float2 f = __bfloat1622float2(h[i]);
            out[2 * i] = f.x;
            out[2 * i + 1] = f.y;
        }
    }

    static __device__ __forceinline__ __nv_bfloat16 encode(float x) { return __float2bfloat16_rn(x); }
};

template <>
struct Vec8<__half>
{
    static __device__ __forceinline__ void load(const __half* p, float* out)
    {
        uint4 raw = *reinterpret_cast<const uint4*>(p);
        const __half2* h = reinterpret_cast<const __half2*>(&raw);
#pragma unroll
        for (int i = 0; i < 4; i++)
        {
            float2 f = __half22float2(h[i]);
            out[2 * i] = f.x;
            out[2 * i + 1] = f.y;
        }
    }

    static __device__ __forceinline__ __half encode(float x) { return __float2half_rn(x); }
};

template <typename T, int D>
__device__ __forceinline__ void paged_decode(const DecodeParams& p)
{
    // A key row of D elements is LANES 16-byte vectors; a warp covers KEYS_PER_WARP keys at once.
    constexpr int LANES = D / 8;
    constexpr int KEYS_PER_WARP = 32 / LANES;
    constexpr int GROUPS = DECODE_WARPS * KEYS_PER_WARP;
    __shared__ float sScores[MAX_GROUP][MAX_SPLIT];
    __shared__ long long sSlot[MAX_SPLIT];
    __shared__ float sMax[MAX_GROUP];
    __shared__ float sSum[MAX_GROUP];
    __shared__ float sPartial[GROUPS][MAX_GROUP][D];

    const int tid = threadIdx.x;
    const int warp = tid >> 5;
    const int lane = tid & 31;
    const int sub = lane / LANES;
    const int part = lane % LANES;
    const int group = p.numHeads / p.numKvHeads;
    const int kvHead = blockIdx.x % p.numKvHeads;
    const int mapped = blockIdx.x / p.numKvHeads;
    const int row = p.useRowMap ? p.rowMap[mapped] : mapped;
    const int split = blockIdx.y;
    const int sequence = p.querySequence[row];
    const int position = p.queryPosition[row];
    const int low = p.window > 0 ? max(0, position - p.window + 1) : 0;
    const int from = max(low, split * p.splitSize);
    const int to = min(position, split * p.splitSize + p.splitSize - 1);
    const int count = max(0, to - from + 1);
    const int firstHead = kvHead * group;
    const int queryWidth = p.numHeads * D;
    const long long kvWidth = (long long)p.numKvHeads * D;

    // Resolve positions to cache offsets once: the block-table lookup would otherwise sit before every key load.
    for (int j = tid; j < count; j += DECODE_THREADS)
    {
        int kp = from + j;
        long long slot = (long long)p.blockTables[(long long)sequence * p.maxBlocks + kp / p.blockSize] * p.blockSize + kp % p.blockSize;
        sSlot[j] = slot * kvWidth + (long long)kvHead * D;
    }

    float qv[MAX_GROUP][8];
#pragma unroll
    for (int h = 0; h < MAX_GROUP; h++)
    {
        if (h < group)
        {
            Vec8<T>::load(reinterpret_cast<const T*>(p.q) + (long long)row * queryWidth + (firstHead + h) * D + part * 8, qv[h]);
#pragma unroll
            for (int i = 0; i < 8; i++)
                qv[h][i] *= p.scaleLog2;
        }
        else
        {
#pragma unroll
            for (int i = 0; i < 8; i++)
                qv[h][i] = 0.f;
        }
    }
    __syncthreads();

    // Scores: the LANES lanes of a key each dot 8 features for every head, then reduce by shuffles.
    const T* kc = reinterpret_cast<const T*>(p.kc);
#pragma unroll 4
    for (int base = warp * KEYS_PER_WARP; base < count; base += GROUPS)
    {
        const int j = base + sub;
        float kf[8];
        if (j < count)
            Vec8<T>::load(kc + sSlot[j] + part * 8, kf);
        else
        {
#pragma unroll
            for (int i = 0; i < 8; i++)
                kf[i] = 0.f;
        }
        float dots[MAX_GROUP];
#pragma unroll
        for (int h = 0; h < MAX_GROUP; h++)
        {
            float d = 0.f;
#pragma unroll
            for (int i = 0; i < 8; i++)
                d = fmaf(qv[h][i], kf[i], d);
            dots[h] = d;
        }
#pragma unroll
        for (int o = LANES / 2; o > 0; o >>= 1)
        {
#pragma unroll
            for (int h = 0; h < MAX_GROUP; h++)
                dots[h] += __shfl_xor_sync(0xffffffffu, dots[h], o);
        }
        if (part == 0 && j < count)
        {
#pragma unroll
            for (int h = 0; h < MAX_GROUP; h++)
                if (h < group)
                    sScores[h][j] = dots[h];
        }
    }
    __syncthreads();

    // Softmax of each head over the split (log2 domain), one warp per head.
    for (int h = warp; h < group; h += DECODE_WARPS)
    {
        float mx = -INFINITY;
        for (int j = lane; j < count; j += 32)
            mx = fmaxf(mx, sScores[h][j]);
        for (int o = 16; o > 0; o >>= 1)
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
        float sum = 0.f;
        for (int j = lane; j < count; j += 32)
        {
            float e = exp2f(sScores[h][j] - mx);
            sScores[h][j] = e;
            sum += e;
        }
        for (int o = 16; o > 0; o >>= 1)
            sum += __shfl_xor_sync(0xffffffffu, sum, o);
        if (lane == 0)
        {
            sMax[h] = mx;
            sSum[h] = sum;
        }
    }
    __syncthreads();

    // Values: each (warp, sub) accumulates its keys for 8 features of every head.
    float acc[MAX_GROUP][8];
#pragma unroll
    for (int h = 0; h < MAX_GROUP; h++)
#pragma unroll
        for (int i = 0; i < 8; i++)
            acc[h][i] = 0.f;
    const T* vc = reinterpret_cast<const T*>(p.vc);
#pragma unroll 4
    for (int base = warp * KEYS_PER_WARP; base < count; base += GROUPS)
    {
        const int j = base + sub;
        if (j < count)
        {
            float vf[8];
            Vec8<T>::load(vc + sSlot[j] + part * 8, vf);
#pragma unroll
            for (int h = 0; h < MAX_GROUP; h++)
            {
                if (h < group)
                {
                    float w = sScores[h][j];
#pragma unroll
                    for (int i = 0; i < 8; i++)
                        acc[h][i] = fmaf(w, vf[i], acc[h][i]);
                }
            }
        }
    }
    const int slotGroup = warp * KEYS_PER_WARP + sub;
#pragma unroll
    for (int h = 0; h < MAX_GROUP; h++)
        if (h < group)
#pragma unroll
            for (int i = 0; i < 8; i++)
                sPartial[slotGroup][h][part * 8 + i] = acc[h][i];
    __syncthreads();

    const float ln2 = 0.69314718055994531f;
    for (int idx = tid; idx < group * D; idx += DECODE_THREADS)
    {
        const int h = idx / D;
        const int d = idx % D;
        float s = 0.f;
#pragma unroll
        for (int gi = 0; gi < GROUPS; gi++)
            s += sPartial[gi][h][d];
        const float total = sSum[h];
        const float result = total > 0.f ? s / total : 0.f;
        const float rowLse = total > 0.f ? (sMax[h] + log2f(total)) * ln2 : -INFINITY;
        const int head = firstHead + h;
        if (p.numSplits == 1)
        {
            reinterpret_cast<T*>(p.o)[(long long)row * queryWidth + head * D + d] = Vec8<T>::encode(result);
            if (d == 0)
                p.lse[(long long)row * p.numHeads + head] = rowLse;
        }
        else
        {
            const long long partial = ((long long)row * p.numHeads + head) * p.numSplits + split;
            p.partialOut[partial * D + d] = result;
            if (d == 0)
                p.partialLse[partial] = rowLse;
        }
    }
}

#define DECODE_ENTRY(name, T, D)                                                            \
    extern "C" __global__ void __launch_bounds__(DECODE_THREADS) name(const DecodeParams p) \
    {                                                                                       \
        paged_decode<T, D>(p);                                                              \
    }

DECODE_ENTRY(paged_decode_bf16_d64, __nv_bfloat16, 64)
DECODE_ENTRY(paged_decode_bf16_d128, __nv_bfloat16, 128)
DECODE_ENTRY(paged_decode_f16_d64, __half, 64)
DECODE_ENTRY(paged_decode_f16_d128, __half, 128)
