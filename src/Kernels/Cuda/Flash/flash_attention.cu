// Tensor-core flash attention (FlashAttention-2, Dao 2023, https://arxiv.org/abs/2307.08691, Algorithm 1) for
// InferMesh's CUDA backend. Source of flash_attention.ptx, which the backend embeds and loads through the driver API;
// regenerate with tools/kernels/build-flash-ptx.sh after editing. Why CUDA C and not ILGPU: ILGPU 1.5 has no
// tensor-core intrinsics, and its inline PTX (CudaAsm.Emit) returns one register per statement, so MMA fragments
// cannot stay in registers across statements; this kernel keeps S, P and O fragments (and Q where they fit) in
// registers for its whole life.
//
// Contract (the same as IComputeBackend.BlockAttention, CPU twin CpuBlockAttention): queries Q [rows x H*D] with
// absolute positions, keys/values K, V [keys x Hkv*D] with absolute positions; key j is visible to query i when
// kpos[j] <= qpos[i] and, with a sliding window w > 0, kpos[j] > qpos[i] - w. Output O [rows x H*D] (the storage type
// of Q) and LSE [rows x H] fp32 = natural log-sum-exp of the scaled visible scores; a row and head that sees no key
// gets O = 0 and LSE = -inf. Positions come from arrays or, when the array pointer is null, base + index
// (contiguous runs, what paged prefill gathers). Query head h reads KV head h / (H / Hkv) (grouped-query attention).
//
// Block: 4 warps of one head, each warp owning MT m16 row tiles (16·MT consecutive query rows): MT = 1 gives 64 rows
// per block (the flash_attention_<type>_d<D> entries, for small launches), MT = 2 gives 128 rows (the ..._r128
// entries, FlashAttention-2's kBlockM = 128 for big prefills), where every K and V fragment read from shared memory
// feeds two MMA row tiles, halving shared-memory traffic per MMA. Key tiles of 64; mma.sync m16n8k16 with fp32
// accumulation; online softmax in the log2 domain; K/V tiles double-buffered with cp.async so the next tile loads
// while this one computes, one barrier per key tile; key tiles entirely outside every row's visible range are skipped
// (not even loaded), and a warp skips the arithmetic of a loaded tile that none of its own rows can see, and the
// rescaling of its accumulators when no row's running maximum moved (the common case after the first tiles). Q fragments
// stay in registers except for MT = 2 with D = 128, where 128 accumulators and 64 scores leave no room: there they
// are re-read from shared memory at each k-step (as FlashAttention-2 does).

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>
#include <cfloat>
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

#define KEYS_PER_TILE 64
#define WARPS 4
#define THREADS (WARPS * 32)
// Key positions and bounds are kept for three tiles: the one computing, the next (loading) and the one after
// (being published), so a single barrier per tile separates every writer from its readers.
#define KEY_SLOTS 3

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

// ldmatrix takes a shared-space byte address (smem_addr).
__device__ __forceinline__ void ldmatrix_x4(uint32_t& r0, uint32_t& r1, uint32_t& r2, uint32_t& r3, uint32_t address)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(address));
}

__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t& r0, uint32_t& r1, uint32_t& r2, uint32_t& r3, uint32_t address)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(address));
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

// The shared-space byte addresses one lane passes to ldmatrix for the 16-column blocks j of a tile, at a lane-dependent
// row (for every ldmatrix here row & 7 is lane & 7, and row steps are multiples of 8) and column 16·j + 8·half. The
// swizzle touches only the low three chunk bits, so block j + 4 lies a constant 64 elements after block j: four
// registers per operand serve every k-step, and rows further down add constants.
template <int D>
struct LaneTile
{
    uint32_t a[4];

    __device__ __forceinline__ LaneTile(uint32_t base, int row, int half)
    {
#pragma unroll
        for (int j = 0; j < 4; j++)
            a[j] = base + 2 * swizzle<D>(row, 16 * j + 8 * half);
    }

    // Block j (compile-time after unrolling), `rows` rows (a multiple of 8) further down.
    __device__ __forceinline__ uint32_t at(int j, int rows) const { return a[j & 3] + 2 * ((j >> 2) * 64 + rows * D); }
};

// 2^x with one MUFU instruction; subnormal results flush to zero, which no softmax weight or correction notices
// (every row's largest weight is 1).
__device__ __forceinline__ float fast_exp2(float x)
{
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
    return y;
}

// Loads ROWS rows (first .. first + ROWS - 1, zero-filled past count) of D 16-bit elements into a swizzled tile.
// Thread tid moves chunk tid % (D/8) of rows tid / (D/8) + i·STEP: the steps are multiples of 8 rows, so the swizzle
// of every row it writes is the same and both addresses advance by constants.
template <typename T, int D, int ROWS>
__device__ __forceinline__ void load_tile(T* tile, const T* base, int ld, int first, int count, int tid)
{
    constexpr int chunks = D / 8;
    constexpr int STEP = THREADS / chunks;
    static_assert(STEP % 8 == 0 && ROWS % STEP == 0, "every thread moves the same number of chunks, all of one swizzle");
    const int r = tid / chunks;
    const int c = (tid % chunks) * 8;
    T* dst = tile + swizzle<D>(r, c);
    const T* src = base + (long long)(first + r) * ld + c;
    const long long step = (long long)STEP * ld;
    if (first + ROWS <= count)
    {
#pragma unroll
        for (int i = 0; i < ROWS / STEP; i++)
        {
            cp_async16(dst + i * STEP * D, src, true);
            src += step;
        }
    }
    else
    {
#pragma unroll
        for (int i = 0; i < ROWS / STEP; i++)
        {
            // A row past the end reads nothing (zero fill) but still names a valid address: the first row.
            const bool valid = first + r + i * STEP < count;
            cp_async16(dst + i * STEP * D, valid ? src : base, valid);
            src += step;
        }
    }
}

// Flips the sign of the Q chunks this thread loaded (load_tile's assignment; they have landed).
template <typename T, int D, int ROWS>
__device__ __forceinline__ void negate_tile(T* tile, int tid)
{
    constexpr int chunks = D / 8;
    constexpr int STEP = THREADS / chunks;
    uint4* dst = reinterpret_cast<uint4*>(tile + swizzle<D>(tid / chunks, (tid % chunks) * 8));
#pragma unroll
    for (int i = 0; i < ROWS / STEP; i++)
    {
        uint4 x = dst[i * STEP * D / 8];
        x.x ^= 0x80008000u;
        x.y ^= 0x80008000u;
        x.z ^= 0x80008000u;
        x.w ^= 0x80008000u;
        dst[i * STEP * D / 8] = x;
    }
}

__device__ __forceinline__ int key_position(const FlashParams& p, int j)
{
    return j < p.keys ? (p.kpos ? p.kpos[j] : p.kposBase + j) : INT_MAX;
}

// Threads 0..63 hold the positions of one key tile: store them in its slot, with each warp's min/max of its half.
__device__ __forceinline__ void publish_key_tile(int* sKpos, int* sKeyBounds, int slot, int kp, int tid, int lane, int warp)
{
    sKpos[slot * KEYS_PER_TILE + tid] = kp;
    int lo = kp, hi = kp == INT_MAX ? INT_MIN : kp;
    for (int o = 16; o > 0; o >>= 1)
    {
        lo = min(lo, __shfl_xor_sync(0xffffffffu, lo, o));
        hi = max(hi, __shfl_xor_sync(0xffffffffu, hi, o));
    }
    if (lane == 0)
    {
        sKeyBounds[slot * 4 + warp * 2] = lo;
        sKeyBounds[slot * 4 + warp * 2 + 1] = hi;
    }
}

template <typename T, int D, int MT>
__device__ __forceinline__ void flash_attention(const FlashParams& p)
{
    constexpr int ROWS = WARPS * 16 * MT; // query rows per block
    constexpr int WARP_ROWS = 16 * MT;
    constexpr bool Q_IN_REGS = MT == 1 || D <= 64;
    extern __shared__ __align__(16) unsigned char shared[];
    // Q tile, then K and V double-buffered (tile j+1 loads while tile j computes), key positions per slot, query
    // positions, the block's then each warp's min/max query position, and the min/max key position of each half of
    // the tile in each slot. FlashAttentionKernel.SharedBytes must match.
    T* sQ = reinterpret_cast<T*>(shared);
    T* sK = sQ + ROWS * D;
    T* sV = sK + 2 * KEYS_PER_TILE * D;
    int* sKpos = reinterpret_cast<int*>(sV + 2 * KEYS_PER_TILE * D);
    int* sQpos = sKpos + KEY_SLOTS * KEYS_PER_TILE;
    int* sQueryBounds = sQpos + ROWS;
    int* sKeyBounds = sQueryBounds + 2 + 2 * WARPS;

    const int tid = threadIdx.x;
    const int warp = tid >> 5;
    const int lane = tid & 31;
    const int g = lane >> 2;
    const int t = lane & 3;
    // Heads vary fastest across the grid so the heads of one KV group read the same K/V tiles at about the same time
    // (L2 hits); query tiles run last-first because, causally, later rows see more keys (longest blocks start first).
    const int head = blockIdx.x;
    const int kvHead = head / (p.numHeads / p.numKvHeads);
    const int rowBase = (gridDim.y - 1 - blockIdx.y) * ROWS;

    const T* q = reinterpret_cast<const T*>(p.q) + head * D;
    const T* k = reinterpret_cast<const T*>(p.k) + kvHead * D;
    const T* v = reinterpret_cast<const T*>(p.v) + kvHead * D;

    load_tile<T, D, ROWS>(sQ, q, p.ldq, rowBase, p.rows, tid);
    cp_async_commit();

    // Positions of the warp's rows (kept in shared memory for the mask; registers are scarce): lane i holds rows i
    // (and 32 + i ...) of the warp's own; rows past the end see nothing.
    const int warpRow = rowBase + warp * WARP_ROWS;
    int warpMinQ = INT_MAX, warpMaxQ = INT_MIN; // over the warp's rows that exist
#pragma unroll
    for (int i = lane; i < WARP_ROWS; i += 32)
    {
        const int row = warpRow + i;
        const bool valid = row < p.rows;
        const int qp = valid ? (p.qpos ? p.qpos[row] : p.qposBase + row) : INT_MIN;
        sQpos[warp * WARP_ROWS + i] = qp;
        warpMinQ = valid ? min(warpMinQ, qp) : warpMinQ;
        warpMaxQ = valid ? max(warpMaxQ, qp) : warpMaxQ;
    }
    for (int o = 16; o > 0; o >>= 1)
    {
        warpMinQ = min(warpMinQ, __shfl_xor_sync(0xffffffffu, warpMinQ, o));
        warpMaxQ = max(warpMaxQ, __shfl_xor_sync(0xffffffffu, warpMaxQ, o));
    }
    if (lane == 0)
    {
        sQueryBounds[2 + warp * 2] = warpMinQ;
        sQueryBounds[3 + warp * 2] = warpMaxQ;
    }
    __syncthreads();
    int minQ = INT_MAX, maxQ = INT_MIN; // over the block's rows (at least one exists)
#pragma unroll
    for (int w = 0; w < WARPS; w++)
    {
        minQ = min(minQ, sQueryBounds[2 + w * 2]);
        maxQ = max(maxQ, sQueryBounds[3 + w * 2]);
    }
    if (tid == 0)
    {
        sQueryBounds[0] = minQ;
        sQueryBounds[1] = maxQ;
    }

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

    // Threads 0..63 publish the positions of the first two tiles and keep those of the third (pending).
    int pending = INT_MAX;
    if (tid < KEYS_PER_TILE)
    {
        for (int j = tileBegin; j < tileBegin + 2 && j < tileEnd; j++)
            publish_key_tile(sKpos, sKeyBounds, j % KEY_SLOTS, key_position(p, j * KEYS_PER_TILE + tid), tid, lane, warp);
        if (tileBegin + 2 < tileEnd)
            pending = key_position(p, (tileBegin + 2) * KEYS_PER_TILE + tid);
    }
    cp_async_wait<0>(); // this thread's Q chunks have landed
    // Scores are scaled inside the exponent (FlashAttention-2's FFMA), which needs a positive scale: a negative one is
    // applied as -Q (exact: the sign bit) times |scale|, and 0 as the smallest normal float, with which every weight
    // still rounds to exactly 1 and the LSE to the same float. Rows keep their running maxima already scaled.
    if (p.scaleLog2 < 0.f)
        negate_tile<T, D, ROWS>(sQ, tid);
    const float scale = fabsf(p.scaleLog2) > 0.f ? fabsf(p.scaleLog2) : FLT_MIN;
    __syncthreads(); // everyone's Q chunks have landed, and the first two key tiles' bounds are visible

    // A fragments of Q (the warp's m-tiles, 16 columns per k-step), held in registers where they fit: D/16 k-steps
    // of a 16x16 tile per m-tile.
    const LaneTile<D> qTile(smem_addr(sQ), warp * WARP_ROWS + (lane & 15), lane >> 4);
    uint32_t qf[MT][D / 16][4];
    if (Q_IN_REGS)
    {
#pragma unroll
        for (int m = 0; m < MT; m++)
        {
#pragma unroll
            for (int kk = 0; kk < D / 16; kk++)
                ldmatrix_x4(qf[m][kk][0], qf[m][kk][1], qf[m][kk][2], qf[m][kk][3], qTile.at(kk, m * 16));
        }
    }

    float acc[MT][D / 8][4];
#pragma unroll
    for (int m = 0; m < MT; m++)
    {
#pragma unroll
        for (int n = 0; n < D / 8; n++)
            acc[m][n][0] = acc[m][n][1] = acc[m][n][2] = acc[m][n][3] = 0.f;
    }
    float rowMax[MT][2], rowSum[MT][2];
#pragma unroll
    for (int m = 0; m < MT; m++)
    {
        rowMax[m][0] = rowMax[m][1] = -INFINITY;
        rowSum[m][0] = rowSum[m][1] = 0.f;
    }

    // Whether the block loads a tile (some row of the block may see it), whether this warp computes it (some row of
    // the warp may see it; implies the load) and whether the warp must mask it (some key may be hidden from one of
    // its rows). 64-bit arithmetic: a warp without rows has min INT_MAX and max INT_MIN.
    // The query bounds are read back from shared memory (they are needed once per tile; registers are scarce).
    auto tile_state = [&](int j, bool& load, bool& compute, bool& needsMask) {
        const int minQ = sQueryBounds[0], maxQ = sQueryBounds[1];
        const int warpMinQ = sQueryBounds[2 + warp * 2], warpMaxQ = sQueryBounds[3 + warp * 2];
        const int* b = sKeyBounds + (j % KEY_SLOTS) * 4;
        const long long minK = min(b[0], b[2]);
        const long long maxK = max(b[1], b[3]);
        load = !(minK > maxQ || (p.window > 0 && maxK <= (long long)minQ - p.window));
        compute = !(minK > warpMaxQ || (p.window > 0 && maxK <= (long long)warpMinQ - p.window));
        // A partial last tile holds padding keys (position INT_MAX, zero K and V) that only the mask removes.
        needsMask = !(maxK <= warpMinQ && (p.window <= 0 || minK > (long long)warpMaxQ - p.window)) || (j + 1) * KEYS_PER_TILE > p.keys;
    };
    bool compute = false, masked = false;
    if (tileBegin < tileEnd)
    {
        bool load;
        tile_state(tileBegin, load, compute, masked);
        if (load)
        {
            load_tile<T, D, KEYS_PER_TILE>(sK + (tileBegin & 1) * KEYS_PER_TILE * D, k, p.ldk, tileBegin * KEYS_PER_TILE, p.keys, tid);
            load_tile<T, D, KEYS_PER_TILE>(sV + (tileBegin & 1) * KEYS_PER_TILE * D, v, p.ldv, tileBegin * KEYS_PER_TILE, p.keys, tid);
        }
    }
    cp_async_commit();

    for (int tile = tileBegin; tile < tileEnd; tile++)
    {
        // After this barrier: this tile's K and V have landed for every thread, the next tile's bounds are visible,
        // and every warp has finished the previous tile, so its K/V buffer and its position slot are free.
        cp_async_wait<0>();
        __syncthreads();

        // The next tile's loads and the bounds of the tile after it go out before this tile's arithmetic.
        const int next = tile + 1;
        bool nextCompute = false, nextMasked = false;
        if (next < tileEnd)
        {
            bool nextLoad;
            tile_state(next, nextLoad, nextCompute, nextMasked);
            if (nextLoad)
            {
                load_tile<T, D, KEYS_PER_TILE>(sK + (next & 1) * KEYS_PER_TILE * D, k, p.ldk, next * KEYS_PER_TILE, p.keys, tid);
                load_tile<T, D, KEYS_PER_TILE>(sV + (next & 1) * KEYS_PER_TILE * D, v, p.ldv, next * KEYS_PER_TILE, p.keys, tid);
            }
        }
        cp_async_commit();
        if (tid < KEYS_PER_TILE && next + 1 < tileEnd)
        {
            publish_key_tile(sKpos, sKeyBounds, (next + 1) % KEY_SLOTS, pending, tid, lane, warp);
            pending = next + 2 < tileEnd ? key_position(p, (next + 2) * KEYS_PER_TILE + tid) : INT_MAX;
        }

        if (compute)
        {
            // B fragments: K rows n·8.. (keys) at 16 columns per k-step; V rows kk·16.. (keys) read transposed at
            // 16 columns (two n-tiles of 8 dimensions) per block.
            const LaneTile<D> kTile(smem_addr(sK + (tile & 1) * KEYS_PER_TILE * D), (lane & 7) + ((lane >> 4) << 3), (lane >> 3) & 1);
            const LaneTile<D> vTile(smem_addr(sV + (tile & 1) * KEYS_PER_TILE * D), (lane & 7) + ((lane >> 3) & 1) * 8, lane >> 4);
            const int* kpTile = sKpos + (tile % KEY_SLOTS) * KEYS_PER_TILE;

            // S = Q K^T for this warp's 16·MT rows x 64 keys: MT m-tiles x 8 n-tiles of 8 keys. Each K fragment
            // feeds all MT m-tiles.
            float s[MT][KEYS_PER_TILE / 8][4];
#pragma unroll
            for (int m = 0; m < MT; m++)
            {
#pragma unroll
                for (int n = 0; n < KEYS_PER_TILE / 8; n++)
                    s[m][n][0] = s[m][n][1] = s[m][n][2] = s[m][n][3] = 0.f;
            }
#pragma unroll
            for (int kk = 0; kk < D / 16; kk++)
            {
                uint32_t qa[MT][4];
#pragma unroll
                for (int m = 0; m < MT; m++)
                {
                    if (Q_IN_REGS)
                    {
                        qa[m][0] = qf[m][kk][0];
                        qa[m][1] = qf[m][kk][1];
                        qa[m][2] = qf[m][kk][2];
                        qa[m][3] = qf[m][kk][3];
                    }
                    else
                    {
                        ldmatrix_x4(qa[m][0], qa[m][1], qa[m][2], qa[m][3], qTile.at(kk, m * 16));
                    }
                }
#pragma unroll
                for (int n = 0; n < KEYS_PER_TILE / 8; n += 2)
                {
                    uint32_t b0, b1, b2, b3;
                    ldmatrix_x4(b0, b1, b2, b3, kTile.at(kk, n * 8));
#pragma unroll
                    for (int m = 0; m < MT; m++)
                    {
                        Mma<T>::run(s[m][n], qa[m], b0, b1);
                        Mma<T>::run(s[m][n + 1], qa[m], b2, b3);
                    }
                }
            }

            // Mask the raw scores (each key and row position is read once), then take each row's raw maximum (the
            // quad of threads sharing a row holds disjoint columns); the scale is positive, so scaling commutes with it.
            if (masked)
            {
                int qp[MT][2];
#pragma unroll
                for (int m = 0; m < MT; m++)
                {
                    qp[m][0] = sQpos[warp * WARP_ROWS + m * 16 + g];
                    qp[m][1] = sQpos[warp * WARP_ROWS + m * 16 + 8 + g];
                }
#pragma unroll
                for (int n = 0; n < KEYS_PER_TILE / 8; n++)
                {
                    const int2 kp = *reinterpret_cast<const int2*>(kpTile + n * 8 + 2 * t);
#pragma unroll
                    for (int m = 0; m < MT; m++)
                    {
#pragma unroll
                        for (int e = 0; e < 4; e++)
                        {
                            const int k = e & 1 ? kp.y : kp.x;
                            const int q = qp[m][e >> 1];
                            const bool seen = k <= q && (p.window <= 0 || k > q - p.window);
                            s[m][n][e] = seen ? s[m][n][e] : -INFINITY;
                        }
                    }
                }
            }
            float tileMax[MT][2];
#pragma unroll
            for (int m = 0; m < MT; m++)
            {
                tileMax[m][0] = tileMax[m][1] = -INFINITY;
#pragma unroll
                for (int n = 0; n < KEYS_PER_TILE / 8; n++)
                {
                    tileMax[m][0] = fmaxf(tileMax[m][0], fmaxf(s[m][n][0], s[m][n][1]));
                    tileMax[m][1] = fmaxf(tileMax[m][1], fmaxf(s[m][n][2], s[m][n][3]));
                }
            }
            // A row that has seen nothing yet keeps max -inf; subtract 0 instead so exp2 stays 0 rather than NaN.
            float base[MT][2], correction[MT][2];
            bool unchanged = true;
#pragma unroll
            for (int m = 0; m < MT; m++)
            {
#pragma unroll
                for (int h = 0; h < 2; h++)
                {
                    float x = tileMax[m][h];
                    x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
                    x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
                    const float newMax = fmaxf(rowMax[m][h], x * scale);
                    base[m][h] = newMax == -INFINITY ? 0.f : newMax;
                    correction[m][h] = fast_exp2(rowMax[m][h] - base[m][h]);
                    unchanged = unchanged && newMax == rowMax[m][h];
                    rowMax[m][h] = newMax;
                }
            }

            uint32_t pf[MT][KEYS_PER_TILE / 16][4];
#pragma unroll
            for (int m = 0; m < MT; m++)
            {
                float sum0 = 0.f, sum1 = 0.f;
#pragma unroll
                for (int n = 0; n < KEYS_PER_TILE / 8; n++)
                {
                    // Scaled inside the exponent: one FFMA per score (a masked -inf stays -inf and gives 0).
                    float e0 = fast_exp2(fmaf(s[m][n][0], scale, -base[m][0]));
                    float e1 = fast_exp2(fmaf(s[m][n][1], scale, -base[m][0]));
                    float e2 = fast_exp2(fmaf(s[m][n][2], scale, -base[m][1]));
                    float e3 = fast_exp2(fmaf(s[m][n][3], scale, -base[m][1]));
                    sum0 += e0 + e1;
                    sum1 += e2 + e3;
                    // The C fragment of n-tiles 2j, 2j+1 is the A fragment of k-step j (FlashAttention-2's register reuse).
                    pf[m][n >> 1][(n & 1) * 2 + 0] = Mma<T>::pack(e0, e1);
                    pf[m][n >> 1][(n & 1) * 2 + 1] = Mma<T>::pack(e2, e3);
                }
                rowSum[m][0] = rowSum[m][0] * correction[m][0] + sum0;
                rowSum[m][1] = rowSum[m][1] * correction[m][1] + sum1;
            }
            // Rescale the accumulators unless no row of the warp changed its maximum (then every correction is 1, or
            // 0 for a row that has seen nothing and whose accumulators are still 0): after the first few tiles of a
            // long row the maximum rarely moves.
            if (!__all_sync(0xffffffffu, unchanged))
            {
#pragma unroll
                for (int m = 0; m < MT; m++)
                {
#pragma unroll
                    for (int n = 0; n < D / 8; n++)
                    {
                        acc[m][n][0] *= correction[m][0];
                        acc[m][n][1] *= correction[m][0];
                        acc[m][n][2] *= correction[m][1];
                        acc[m][n][3] *= correction[m][1];
                    }
                }
            }

            // O += P V: k-steps of 16 keys, n-tiles of 8 dimensions (V read transposed); each V fragment feeds all
            // MT m-tiles.
#pragma unroll
            for (int kk = 0; kk < KEYS_PER_TILE / 16; kk++)
            {
#pragma unroll
                for (int n = 0; n < D / 8; n += 2)
                {
                    uint32_t b0, b1, b2, b3;
                    ldmatrix_x4_trans(b0, b1, b2, b3, vTile.at(n / 2, kk * 16));
#pragma unroll
                    for (int m = 0; m < MT; m++)
                    {
                        Mma<T>::run(acc[m][n], pf[m][kk], b0, b1);
                        Mma<T>::run(acc[m][n + 1], pf[m][kk], b2, b3);
                    }
                }
            }
        }
        compute = nextCompute;
        masked = nextMasked;
    }
    cp_async_wait<0>();

    T* o = reinterpret_cast<T*>(p.o) + head * D;
    const float ln2 = 0.69314718055994531f;
#pragma unroll
    for (int m = 0; m < MT; m++)
    {
#pragma unroll
        for (int h = 0; h < 2; h++)
        {
            // The quad of threads sharing a row holds disjoint columns: sum their partial row sums.
            float l = rowSum[m][h];
            l += __shfl_xor_sync(0xffffffffu, l, 1);
            l += __shfl_xor_sync(0xffffffffu, l, 2);
            const float inv = l > 0.f ? 1.f / l : 0.f;
            const int row = warpRow + m * 16 + h * 8 + g;
            if (row < p.rows)
            {
#pragma unroll
                for (int n = 0; n < D / 8; n++)
                {
                    int c = n * 8 + 2 * t;
                    *reinterpret_cast<uint32_t*>(o + (size_t)row * p.ldo + c) = Mma<T>::pack(acc[m][n][2 * h] * inv, acc[m][n][2 * h + 1] * inv);
                }
                if (t == 0)
                    p.lse[(size_t)row * p.numHeads + head] = l > 0.f ? (rowMax[m][h] + log2f(l)) * ln2 : -INFINITY;
            }
        }
    }
}

#define FLASH_ENTRY(name, T, D, MT)                                                 \
    extern "C" __global__ void __launch_bounds__(THREADS) name(const FlashParams p) \
    {                                                                               \
        flash_attention<T, D, MT>(p);                                               \
    }

// 64 query rows per block (one m-tile per warp): launches with fewer than 128 rows.
FLASH_ENTRY(flash_attention_bf16_d64, __nv_bfloat16, 64, 1)
FLASH_ENTRY(flash_attention_bf16_d128, __nv_bfloat16, 128, 1)
FLASH_ENTRY(flash_attention_f16_d64, __half, 64, 1)
FLASH_ENTRY(flash_attention_f16_d128, __half, 128, 1)
// 128 query rows per block (two m-tiles per warp): big prefills.
FLASH_ENTRY(flash_attention_bf16_d64_r128, __nv_bfloat16, 64, 2)
FLASH_ENTRY(flash_attention_bf16_d128_r128, __nv_bfloat16, 128, 2)
FLASH_ENTRY(flash_attention_f16_d64_r128, __half, 64, 2)
FLASH_ENTRY(flash_attention_f16_d128_r128, __half, 128, 2)
