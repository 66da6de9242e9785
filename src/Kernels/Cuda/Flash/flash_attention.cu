// Tensor-core flash attention (FlashAttention-2, Dao 2023, https://arxiv.org/abs/2307.08691, Algorithm 1) for
// InferMesh's CUDA backend. Source of flash_attention.ptx, which the backend embeds and loads through the driver API;
// regenerate with tools/kernels/build-flash-ptx.sh after editing. Why CUDA C and not ILGPU: ILGPU 1.5 has no
// tensor-core intrinsics, and its inline PTX (CudaAsm.Emit) returns one register per statement, so MMA fragments
// cannot stay in registers across statements; this kernel keeps Q, S and O fragments in registers for its whole life.
//
// Contract (the same as IComputeBackend.BlockAttention, CPU twin CpuBlockAttention): queries Q [rows x H*D] with
// absolute positions, keys/values K, V [keys x Hkv*D] with absolute positions; key j is visible to query i when
// kpos[j] <= qpos[i] and, with a sliding window w > 0, kpos[j] > qpos[i] - w. Output O [rows x H*D] (the storage type
// of Q) and LSE [rows x H] fp32 = natural log-sum-exp of the scaled visible scores; a row and head that sees no key
// gets O = 0 and LSE = -inf. Positions come from arrays or, when the array pointer is null, base + index
// (contiguous runs, what paged prefill gathers). Query head h reads KV head h / (H / Hkv) (grouped-query attention).
//
// Block: 4 warps x 16 query rows = 64 rows of one head; key tiles of 64; mma.sync m16n8k16 with fp32 accumulation;
// online softmax in the log2 domain; K/V tiles double-buffered with cp.async so the next tile loads while this one
// computes; key tiles entirely outside every row's visible range are skipped (not even loaded).

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>
#include <climits>

struct FlashParams
{
    const void* q;
    const void* k;
    const void* v;
    void* o;
    float* lse;
    const int* qpos;
    const int* kpos;
    int qposBase;
    int kposBase;
    int rows;
    int keys;
    int ldq;
    int ldk;
    int ldv;
    int ldo;
    int numHeads;
    int numKvHeads;
    int window;
    float scaleLog2;
};

#define ROWS_PER_BLOCK 64
#define KEYS_PER_TILE 64
#define THREADS 128

__device__ __forceinline__ uint32_t smem_addr(const void* p)
{
    return (uint32_t)__cvta_generic_to_shared(p);
}

__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool valid)
{
    int size = valid ? 16 : 0; // zero-fills when invalid
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src), "r"(size));
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

template <int N>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

__device__ __forceinline__ void ldmatrix_x4(uint32_t& r0, uint32_t& r1, uint32_t& r2, uint32_t& r3, const void* p)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(smem_addr(p)));
}

__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t& r0, uint32_t& r1, uint32_t& r2, uint32_t& r3, const void* p)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(smem_addr(p)));
}

template <typename T>
struct Mma;

template <>
struct Mma<__nv_bfloat16>
{
    static __device__ __forceinline__ void run(float* c, const uint32_t* a, uint32_t b0, uint32_t b1)
    {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    }

    static __device__ __forceinline__ uint32_t pack(float lo, float hi)
    {
        __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
        return *reinterpret_cast<uint32_t*>(&v);
    }
};

template <>
struct Mma<__half>
{
    static __device__ __forceinline__ void run(float* c, const uint32_t* a, uint32_t b0, uint32_t b1)
    {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    }

    static __device__ __forceinline__ uint32_t pack(float lo, float hi)
    {
        __half2 v = __floats2half2_rn(lo, hi);
        return *reinterpret_cast<uint32_t*>(&v);
    }
};

// Shared tiles are rows of D 16-bit elements in 16-byte chunks; chunk c of row r is stored at chunk c ^ (r & 7) so
// the 8 rows an ldmatrix phase reads fall in 8 different bank groups.
template <int D>
__device__ __forceinline__ int swizzle(int row, int col)
{
    int chunk = (col >> 3) ^ (row & 7);
    return row * D + (chunk << 3) + (col & 7);
}

template <typename T, int D>
__device__ __forceinline__ void load_tile(T* tile, const T* base, int ld, int first, int count, int tid)
{
    constexpr int chunks = D / 8;
    for (int i = tid; i < 64 * chunks; i += THREADS)
    {
        int r = i / chunks;
        int c = (i % chunks) * 8;
        bool valid = first + r < count;
        const T* src = base + (size_t)(valid ? first + r : 0) * ld + c;
        cp_async16(tile + swizzle<D>(r, c), src, valid);
    }
}

__device__ __forceinline__ int key_position(const FlashParams& p, int j)
{
    return j < p.keys ? (p.kpos ? p.kpos[j] : p.kposBase + j) : INT_MAX;
}

// Threads 0..63 hold the positions of one key tile: store them and each warp's min/max (bounds slot = tile parity).
__device__ __forceinline__ void publish_key_tile(int* sKpos, int* sBounds, int parity, int kp, int tid, int lane, int warp)
{
    sKpos[parity * KEYS_PER_TILE + tid] = kp;
    int lo = kp, hi = kp == INT_MAX ? INT_MIN : kp;
    for (int o = 16; o > 0; o >>= 1)
    {
        lo = min(lo, __shfl_xor_sync(0xffffffffu, lo, o));
        hi = max(hi, __shfl_xor_sync(0xffffffffu, hi, o));
    }
    if (lane == 0)
    {
        sBounds[2 + parity * 4 + warp * 2] = lo;
        sBounds[3 + parity * 4 + warp * 2] = hi;
    }
}

template <typename T, int D>
__device__ __forceinline__ void flash_attention(const FlashParams& p)
{
    extern __shared__ __align__(16) unsigned char shared[];
    // Q tile, then K and V double-buffered (tile j+1 loads while tile j computes), key positions per buffer,
    // and bounds: [0] min qpos, [1] max qpos, [2 + 4·parity ..] min/max kpos of each half of the key tile.
    T* sQ = reinterpret_cast<T*>(shared);
    T* sK = sQ + ROWS_PER_BLOCK * D;
    T* sV = sK + 2 * KEYS_PER_TILE * D;
    int* sKpos = reinterpret_cast<int*>(sV + 2 * KEYS_PER_TILE * D);
    int* sBounds = sKpos + 2 * KEYS_PER_TILE;

    const int tid = threadIdx.x;
    const int warp = tid >> 5;
    const int lane = tid & 31;
    const int g = lane >> 2;
    const int t = lane & 3;
    // Heads vary fastest across the grid so the heads of one KV group read the same K/V tiles at about the same time
    // (L2 hits); query tiles run last-first because, causally, later rows see more keys (longest blocks start first).
    const int head = blockIdx.x;
    const int kvHead = head / (p.numHeads / p.numKvHeads);
    const int rowBase = (gridDim.y - 1 - blockIdx.y) * ROWS_PER_BLOCK;

    const T* q = reinterpret_cast<const T*>(p.q) + head * D;
    const T* k = reinterpret_cast<const T*>(p.k) + kvHead * D;
    const T* v = reinterpret_cast<const T*>(p.v) + kvHead * D;

    load_tile<T, D>(sQ, q, p.ldq, rowBase, p.rows, tid);
    cp_async_commit();

    // Positions of this thread's two rows (g and g + 8 of its warp's 16); rows past the end see nothing.
    const int row0 = rowBase + warp * 16 + g;
    const int row1 = row0 + 8;
    const int qpos0 = row0 < p.rows ? (p.qpos ? p.qpos[row0] : p.qposBase + row0) : INT_MIN;
    const int qpos1 = row1 < p.rows ? (p.qpos ? p.qpos[row1] : p.qposBase + row1) : INT_MIN;

    if (tid == 0)
    {
        sBounds[0] = INT_MAX;
        sBounds[1] = INT_MIN;
    }
    __syncthreads();
    {
        int lo = min(qpos0 == INT_MIN ? INT_MAX : qpos0, qpos1 == INT_MIN ? INT_MAX : qpos1);
        int hi = max(qpos0, qpos1);
        for (int o = 16; o > 0; o >>= 1)
        {
            lo = min(lo, __shfl_xor_sync(0xffffffffu, lo, o));
            hi = max(hi, __shfl_xor_sync(0xffffffffu, hi, o));
        }
        if (lane == 0)
        {
            atomicMin(&sBounds[0], lo);
            atomicMax(&sBounds[1], hi);
        }
    }
    cp_async_wait<0>();
    __syncthreads();
    const int minQ = sBounds[0];
    const int maxQ = sBounds[1];

    // Q fragments stay in registers: D/16 k-steps of a 16x16 A tile.
    uint32_t qf[D / 16][4];
#pragma unroll
    for (int kk = 0; kk < D / 16; kk++)
    {
        int r = warp * 16 + (lane & 15);
        int c = kk * 16 + (lane >> 4) * 8;
        ldmatrix_x4(qf[kk][0], qf[kk][1], qf[kk][2], qf[kk][3], sQ + swizzle<D>(r, c));
    }

    float acc[D / 8][4];
#pragma unroll
    for (int n = 0; n < D / 8; n++)
        acc[n][0] = acc[n][1] = acc[n][2] = acc[n][3] = 0.f;
    float m0 = -INFINITY, m1 = -INFINITY, l0 = 0.f, l1 = 0.f;

    // Key tiles that can be visible. With contiguous key positions the causal and window limits give the range
    // directly; with a position array every tile is visited and invisible ones are skipped by their bounds.
    const int tiles = (p.keys + KEYS_PER_TILE - 1) / KEYS_PER_TILE;
    int tileBegin = 0, tileEnd = tiles;
    if (!p.kpos)
    {
        long long last = (long long)maxQ - p.kposBase;
        tileEnd = last < 0 ? 0 : (int)min((long long)tiles, last / KEYS_PER_TILE + 1);
        if (p.window > 0)
        {
            long long first = (long long)minQ - p.window + 1 - p.kposBase;
            tileBegin = first > 0 ? (int)min((long long)tiles, first / KEYS_PER_TILE) : 0;
        }
    }

    int pending = INT_MAX; // threads 0..63: the position of their key in the tile after the next
    if (tid < KEYS_PER_TILE && tileBegin < tileEnd)
    {
        publish_key_tile(sKpos, sBounds, tileBegin & 1, key_position(p, tileBegin * KEYS_PER_TILE + tid), tid, lane, warp);
        if (tileBegin + 1 < tileEnd)
            pending = key_position(p, (tileBegin + 1) * KEYS_PER_TILE + tid);
    }
    __syncthreads();

    bool visible = false, masked = false;
    auto tile_state = [&](int j, bool& isVisible, bool& needsMask) {
        const int* b = sBounds + 2 + (j & 1) * 4;
        const int minK = min(b[0], b[2]);
        const int maxK = max(b[1], b[3]);
        isVisible = !(minK > maxQ || (p.window > 0 && maxK <= minQ - p.window));
        // A partial last tile holds padding keys (position INT_MAX, zero K and V) that only the mask removes.
        needsMask = !(maxK <= minQ && (p.window <= 0 || minK > maxQ - p.window)) || (j + 1) * KEYS_PER_TILE > p.keys;
    };
    if (tileBegin < tileEnd)
    {
        tile_state(tileBegin, visible, masked);
        if (visible)
        {
            load_tile<T, D>(sK + (tileBegin & 1) * KEYS_PER_TILE * D, k, p.ldk, tileBegin * KEYS_PER_TILE, p.keys, tid);
            load_tile<T, D>(sV + (tileBegin & 1) * KEYS_PER_TILE * D, v, p.ldv, tileBegin * KEYS_PER_TILE, p.keys, tid);
        }
    }
    cp_async_commit();

    for (int tile = tileBegin; tile < tileEnd; tile++)
    {
        // Bounds and loads of the next tile go out before this tile's arithmetic, so they overlap it.
        const int next = tile + 1;
        if (tid < KEYS_PER_TILE)
        {
            int kp = next < tileEnd ? pending : INT_MAX;
            if (next + 1 < tileEnd)
                pending = key_position(p, (next + 1) * KEYS_PER_TILE + tid);
            publish_key_tile(sKpos, sBounds, next & 1, kp, tid, lane, warp);
        }
        __syncthreads();
        bool nextVisible = false, nextMasked = false;
        if (next < tileEnd)
            tile_state(next, nextVisible, nextMasked);
        if (nextVisible)
        {
            load_tile<T, D>(sK + (next & 1) * KEYS_PER_TILE * D, k, p.ldk, next * KEYS_PER_TILE, p.keys, tid);
            load_tile<T, D>(sV + (next & 1) * KEYS_PER_TILE * D, v, p.ldv, next * KEYS_PER_TILE, p.keys, tid);
        }
        cp_async_commit();

        if (visible)
        {
            cp_async_wait<1>();
            __syncthreads();
            const T* kTile = sK + (tile & 1) * KEYS_PER_TILE * D;
            const T* vTile = sV + (tile & 1) * KEYS_PER_TILE * D;
            const int* kpTile = sKpos + (tile & 1) * KEYS_PER_TILE;

            // S = Q K^T for this warp's 16 rows x 64 keys: 8 n-tiles of 8 keys.
            float s[KEYS_PER_TILE / 8][4];
#pragma unroll
            for (int n = 0; n < KEYS_PER_TILE / 8; n++)
                s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
#pragma unroll
            for (int kk = 0; kk < D / 16; kk++)
            {
#pragma unroll
                for (int n = 0; n < KEYS_PER_TILE / 8; n += 2)
                {
                    uint32_t b0, b1, b2, b3;
                    int r = n * 8 + (lane & 7) + ((lane >> 4) << 3);
                    int c = kk * 16 + ((lane >> 3) & 1) * 8;
                    ldmatrix_x4(b0, b1, b2, b3, kTile + swizzle<D>(r, c));
                    Mma<T>::run(s[n], qf[kk], b0, b1);
                    Mma<T>::run(s[n + 1], qf[kk], b2, b3);
                }
            }

            // Scale into the log2 domain and mask.
            float tileMax0 = -INFINITY, tileMax1 = -INFINITY;
#pragma unroll
            for (int n = 0; n < KEYS_PER_TILE / 8; n++)
            {
#pragma unroll
                for (int e = 0; e < 4; e++)
                {
                    float x = s[n][e] * p.scaleLog2;
                    if (masked)
                    {
                        int kp = kpTile[n * 8 + 2 * t + (e & 1)];
                        int qp = e < 2 ? qpos0 : qpos1;
                        bool seen = kp <= qp && (p.window <= 0 || kp > qp - p.window);
                        x = seen ? x : -INFINITY;
                    }
                    s[n][e] = x;
                }
                tileMax0 = fmaxf(tileMax0, fmaxf(s[n][0], s[n][1]));
                tileMax1 = fmaxf(tileMax1, fmaxf(s[n][2], s[n][3]));
            }
            tileMax0 = fmaxf(tileMax0, __shfl_xor_sync(0xffffffffu, tileMax0, 1));
            tileMax0 = fmaxf(tileMax0, __shfl_xor_sync(0xffffffffu, tileMax0, 2));
            tileMax1 = fmaxf(tileMax1, __shfl_xor_sync(0xffffffffu, tileMax1, 1));
            tileMax1 = fmaxf(tileMax1, __shfl_xor_sync(0xffffffffu, tileMax1, 2));
            float newM0 = fmaxf(m0, tileMax0);
            float newM1 = fmaxf(m1, tileMax1);
            // A row that has seen nothing yet keeps max -inf; subtract 0 instead so exp2 stays 0 rather than NaN.
            float base0 = newM0 == -INFINITY ? 0.f : newM0;
            float base1 = newM1 == -INFINITY ? 0.f : newM1;
            float correction0 = exp2f(m0 - base0);
            float correction1 = exp2f(m1 - base1);
            m0 = newM0;
            m1 = newM1;

            float sum0 = 0.f, sum1 = 0.f;
            uint32_t pf[KEYS_PER_TILE / 16][4];
#pragma unroll
            for (int n = 0; n < KEYS_PER_TILE / 8; n++)
            {
                float e0 = exp2f(s[n][0] - base0);
                float e1 = exp2f(s[n][1] - base0);
                float e2 = exp2f(s[n][2] - base1);
                float e3 = exp2f(s[n][3] - base1);
                sum0 += e0 + e1;
                sum1 += e2 + e3;
                // The C fragment of n-tiles 2j, 2j+1 is the A fragment of k-step j (FlashAttention-2's register reuse).
                pf[n >> 1][(n & 1) * 2 + 0] = Mma<T>::pack(e0, e1);
                pf[n >> 1][(n & 1) * 2 + 1] = Mma<T>::pack(e2, e3);
            }
            l0 = l0 * correction0 + sum0;
            l1 = l1 * correction1 + sum1;
#pragma unroll
            for (int n = 0; n < D / 8; n++)
            {
                acc[n][0] *= correction0;
                acc[n][1] *= correction0;
                acc[n][2] *= correction1;
                acc[n][3] *= correction1;
            }

            // O += P V: k-steps of 16 keys, n-tiles of 8 dimensions (V read transposed).
#pragma unroll
            for (int kk = 0; kk < KEYS_PER_TILE / 16; kk++)
            {
#pragma unroll
                for (int n = 0; n < D / 8; n += 2)
                {
                    uint32_t b0, b1, b2, b3;
                    int r = kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
                    int c = n * 8 + (lane >> 4) * 8;
                    ldmatrix_x4_trans(b0, b1, b2, b3, vTile + swizzle<D>(r, c));
                    Mma<T>::run(acc[n], pf[kk], b0, b1);
                    Mma<T>::run(acc[n + 1], pf[kk], b2, b3);
                }
            }
        }
        __syncthreads(); // this tile's buffers and positions are free for the tile after next
        visible = nextVisible;
        masked = nextMasked;
    }
    cp_async_wait<0>();

    // The quad of threads sharing a row holds disjoint columns: sum their partial row sums.
    l0 += __shfl_xor_sync(0xffffffffu, l0, 1);
    l0 += __shfl_xor_sync(0xffffffffu, l0, 2);
    l1 += __shfl_xor_sync(0xffffffffu, l1, 1);
    l1 += __shfl_xor_sync(0xffffffffu, l1, 2);
    const float inv0 = l0 > 0.f ? 1.f / l0 : 0.f;
    const float inv1 = l1 > 0.f ? 1.f / l1 : 0.f;

    T* o = reinterpret_cast<T*>(p.o) + head * D;
#pragma unroll
    for (int n = 0; n < D / 8; n++)
    {
        int c = n * 8 + 2 * t;
        if (row0 < p.rows)
            *reinterpret_cast<uint32_t*>(o + (size_t)row0 * p.ldo + c) = Mma<T>::pack(acc[n][0] * inv0, acc[n][1] * inv0);
        if (row1 < p.rows)
            *reinterpret_cast<uint32_t*>(o + (size_t)row1 * p.ldo + c) = Mma<T>::pack(acc[n][2] * inv1, acc[n][3] * inv1);
    }
    if (t == 0)
    {
        const float ln2 = 0.69314718055994531f;
        if (row0 < p.rows)
            p.lse[(size_t)row0 * p.numHeads + head] = l0 > 0.f ? (m0 + log2f(l0)) * ln2 : -INFINITY;
        if (row1 < p.rows)
            p.lse[(size_t)row1 * p.numHeads + head] = l1 > 0.f ? (m1 + log2f(l1)) * ln2 : -INFINITY;
    }
}

#define FLASH_ENTRY(name, T, D)                                                   \
    extern "C" __global__ void __launch_bounds__(THREADS) name(const FlashParams p) \
    {                                                                             \
        flash_attention<T, D>(p);                                                 \
    }

FLASH_ENTRY(flash_attention_bf16_d64, __nv_bfloat16, 64)
FLASH_ENTRY(flash_attention_bf16_d128, __nv_bfloat16, 128)
FLASH_ENTRY(flash_attention_f16_d64, __half, 64)
FLASH_ENTRY(flash_attention_f16_d128, __half, 128)
