using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// Paged decode attention (flash-decoding): one thread block per (query row, KV head, head block, key split).
/// A block stages KeyTile keys and values of its KV head in shared memory and updates an online softmax for up to
/// four query heads of the GQA group at once, so each key is read from memory once per four heads and each staged
/// value feeds four accumulators held in registers.
/// Keys are split at fixed absolute positions (SplitSize); with more than one split each block writes an fp32
/// partial (output, LSE) and <see cref="Merge{T, C}"/> combines them:
/// lse = log Σ e^lseᵢ, out = Σ outᵢ·e^(lseᵢ − lse) (Dao et al., Flash-Decoding, 2023).
/// </summary>
internal static class DecodeAttentionKernel
{
    /// <summary>Largest SplitSize the per-block slot table holds.</summary>
    public const int MaxSplitSize = 128;

    /// <summary>Query heads one block serves: each thread keeps one accumulator per head in registers.</summary>
    public const int HeadsPerBlock = 4;

    /// <summary>Stride of a staged key row: dim + 4 keeps the lanes of the score phase on distinct banks.</summary>
    public static int KeyStride(int dim) => dim + 4;

    public static void Run<T, C>(
        ArrayView<T> queries,
        ArrayView<T> keyCache,
        ArrayView<T> valueCache,
        ArrayView<int> querySequence,
        ArrayView<int> queryPosition,
        ArrayView<int> blockTables,
        ArrayView<T> output,
        ArrayView<float> lse,
        ArrayView<float> partialOut,
        ArrayView<float> partialLse,
        ArrayView<int> rowMap,
        AttentionParams p)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        int dim = p.HeadDim;
        int tile = p.KeyTile;
        int stride = KeyStride(dim);
        int group = p.NumHeads / p.NumKvHeads;
        int headBlock = Grid.IdxX % p.HeadBlocks;
        int rest = Grid.IdxX / p.HeadBlocks;
        int kvHead = rest % p.NumKvHeads;
        int row = p.UseRowMap != 0 ? rowMap[rest / p.NumKvHeads] : rest / p.NumKvHeads;
        int split = Grid.IdxY;
        int firstHead = kvHead * group + headBlock * HeadsPerBlock;
        int heads = Math.Min(HeadsPerBlock, group - headBlock * HeadsPerBlock);
        int sequence = querySequence[row];
        int position = queryPosition[row];
        int low = p.Window > 0 ? Math.Max(0, position - p.Window + 1) : 0;
        int from = Math.Max(low, split * p.SplitSize);
        int to = Math.Min(position, split * p.SplitSize + p.SplitSize - 1);
        int queryWidth = p.NumHeads * dim;
        int kvWidth = p.NumKvHeads * dim;

        var slots = SharedMemory.Allocate<long>(MaxSplitSize);
        var shared = SharedMemory.GetDynamic<float>();
        var q = shared.SubView(0, HeadsPerBlock * dim);
        var k = shared.SubView(HeadsPerBlock * dim, tile * stride);
        var v = shared.SubView(HeadsPerBlock * dim + tile * stride, tile * dim);
        int offset = HeadsPerBlock * dim + tile * stride + tile * dim;
        var scores = shared.SubView(offset, HeadsPerBlock * tile);
        var maxima = shared.SubView(offset + HeadsPerBlock * tile, HeadsPerBlock);
        var sums = shared.SubView(offset + HeadsPerBlock * tile + HeadsPerBlock, HeadsPerBlock);
        var alphas = shared.SubView(offset + HeadsPerBlock * tile + 2 * HeadsPerBlock, HeadsPerBlock);

        int tid = Group.IdxX;
        int threads = Group.DimX;
        for (int e = tid; e < HeadsPerBlock * dim; e += threads)
        {
            int h = e / dim;
            q[e] = h < heads ? codec.Decode(queries[(long)row * queryWidth + firstHead * dim + e]) * p.Scale : 0f;
        }

        if (tid < HeadsPerBlock)
        {
            maxima[tid] = float.NegativeInfinity;
            sums[tid] = 0f;
            alphas[tid] = 1f;
        }

        // Resolve the split's key positions to cache offsets once: the block-table lookup is a dependent load
        // that would otherwise sit in front of every key load.
        for (int j = tid; j <= to - from; j += threads)
        {
            int keyPosition = from + j;
            long slot = (long)blockTables[sequence * p.MaxBlocks + keyPosition / p.BlockSize] * p.BlockSize + keyPosition % p.BlockSize;
            slots[j] = slot * kvWidth + kvHead * dim;
        }

        Group.Barrier();
        int warp = tid / BlockReduce.WarpSize;
        int lane = tid % BlockReduce.WarpSize;

        // Score phase: `parts` adjacent lanes share key j, each summing every parts-th feature for all heads at
        // once (one staged key value feeds four heads), then reduce by shuffles.
        int parts = threads / tile;
        int key = tid / parts;
        int part = tid % parts;

        // Value phase: thread (jPart, feature) accumulates every jParts-th key of the tile for all heads.
        int jParts = Math.Max(1, threads / dim);
        int feature = tid % dim;
        int jPart = tid / dim;
        bool accumulates = jPart < jParts;
        float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
        for (int start = from; start <= to; start += tile)
        {
            int count = Math.Min(tile, to - start + 1);
            int elements = count * dim;
            int first = start - from;
            for (int e = tid; e < elements; e += 4 * threads)
            {
                int e1 = e + threads;
                int e2 = e + 2 * threads;
                int e3 = e + 3 * threads;
                int j0 = e / dim;
                int j1 = e1 / dim;
                int j2 = e2 / dim;
                int j3 = e3 / dim;
                int d0 = e - j0 * dim;
                int d1 = e1 - j1 * dim;
                int d2 = e2 - j2 * dim;
                int d3 = e3 - j3 * dim;
                long s0 = slots[first + j0] + d0;
                long s1 = e1 < elements ? slots[first + j1] + d1 : s0;
                long s2 = e2 < elements ? slots[first + j2] + d2 : s0;
                long s3 = e3 < elements ? slots[first + j3] + d3 : s0;
                T k0 = keyCache[s0], k1 = keyCache[s1], k2 = keyCache[s2], k3 = keyCache[s3];
                T v0 = valueCache[s0], v1 = valueCache[s1], v2 = valueCache[s2], v3 = valueCache[s3];
                k[j0 * stride + d0] = codec.Decode(k0);
                v[j0 * dim + d0] = codec.Decode(v0);
                if (e1 < elements)
                {
                    k[j1 * stride + d1] = codec.Decode(k1);
                    v[j1 * dim + d1] = codec.Decode(v1);
                }

                if (e2 < elements)
                {
                    k[j2 * stride + d2] = codec.Decode(k2);
                    v[j2 * dim + d2] = codec.Decode(v2);
                }

                if (e3 < elements)
                {
                    k[j3 * stride + d3] = codec.Decode(k3);
                    v[j3 * dim + d3] = codec.Decode(v3);
                }
            }

            Group.Barrier();
            float c0 = 0f, c1 = 0f, c2 = 0f, c3 = 0f;
            if (key < count)
            {
                int kBase = key * stride;
                for (int i = part; i < dim; i += parts)
                {
                    float kv = k[kBase + i];
                    c0 += q[i] * kv;
                    c1 += q[dim + i] * kv;
                    c2 += q[2 * dim + i] * kv;
                    c3 += q[3 * dim + i] * kv;
                }
            }

            for (int o = 1; o < parts; o *= 2)
            {
                c0 += Warp.ShuffleXor(c0, o);
                c1 += Warp.ShuffleXor(c1, o);
                c2 += Warp.ShuffleXor(c2, o);
                c3 += Warp.ShuffleXor(c3, o);
            }

            if (part == 0 && key < tile)
            {
                bool valid = key < count;
                scores[key] = valid ? DeviceMath.SoftCap(c0, p.SoftCap) : float.NegativeInfinity;
                scores[tile + key] = valid ? DeviceMath.SoftCap(c1, p.SoftCap) : float.NegativeInfinity;
                scores[2 * tile + key] = valid ? DeviceMath.SoftCap(c2, p.SoftCap) : float.NegativeInfinity;
                scores[3 * tile + key] = valid ? DeviceMath.SoftCap(c3, p.SoftCap) : float.NegativeInfinity;
            }

            Group.Barrier();
            if (warp < heads)
            {
                int h = warp;
                float tileMax = float.NegativeInfinity;
                for (int j = lane; j < count; j += BlockReduce.WarpSize)
                    tileMax = MathF.Max(tileMax, scores[h * tile + j]);
                tileMax = BlockReduce.WarpMax(tileMax);
                float oldMax = maxima[h];
                float newMax = MathF.Max(oldMax, tileMax);
                float sum = 0f;
                for (int j = lane; j < count; j += BlockReduce.WarpSize)
                {
                    float weight = DeviceMath.Exp(scores[h * tile + j] - newMax);
                    scores[h * tile + j] = weight;
                    sum += weight;
                }

                sum = BlockReduce.WarpSum(sum);
                if (lane == 0)
                {
                    float alpha = DeviceMath.Exp(oldMax - newMax);
                    sums[h] = sums[h] * alpha + sum;
                    maxima[h] = newMax;
                    alphas[h] = alpha;
                }
            }

            Group.Barrier();
            if (accumulates)
            {
                a0 *= alphas[0];
                a1 *= alphas[1];
                a2 *= alphas[2];
                a3 *= alphas[3];
                for (int j = jPart; j < count; j += jParts)
                {
                    float value = v[j * dim + feature];
                    a0 += scores[j] * value;
                    a1 += scores[tile + j] * value;
                    a2 += scores[2 * tile + j] * value;
                    a3 += scores[3 * tile + j] * value;
                }
            }

            Group.Barrier();
        }

        // Threads of the other key parts hand their sums to part 0 through the (now free) key tile.
        if (jParts > 1)
        {
            if (accumulates && jPart > 0)
            {
                int slot = ((jPart - 1) * HeadsPerBlock * dim) + feature;
                k[slot] = a0;
                k[slot + dim] = a1;
                k[slot + 2 * dim] = a2;
                k[slot + 3 * dim] = a3;
            }

            Group.Barrier();
            if (jPart == 0)
            {
                for (int other = 1; other < jParts; other++)
                {
                    int slot = ((other - 1) * HeadsPerBlock * dim) + feature;
                    a0 += k[slot];
                    a1 += k[slot + dim];
                    a2 += k[slot + 2 * dim];
                    a3 += k[slot + 3 * dim];
                }
            }
        }

        if (jPart != 0)
            return;
        for (int h = 0; h < heads; h++)
        {
            float accumulator = h == 0 ? a0 : h == 1 ? a1 : h == 2 ? a2 : a3;
            float total = sums[h];
            float result = total > 0f ? accumulator / total : 0f;
            float rowLse = total > 0f ? maxima[h] + DeviceMath.Log(total) : float.NegativeInfinity;
            int head = firstHead + h;
            if (p.NumSplits == 1)
            {
                output[(long)row * queryWidth + head * dim + feature] = codec.Encode(result);
                if (feature == 0)
                    lse[row * p.NumHeads + head] = rowLse;
            }
            else
            {
                long partial = ((long)row * p.NumHeads + head) * p.NumSplits + split;
                partialOut[partial * dim + feature] = result;
                if (feature == 0)
                    partialLse[partial] = rowLse;
            }
        }
    }

    /// <summary>Combines the split partials of one (row, head) per thread block; one thread per feature. With a row map, block i serves row rowMap[i / numHeads].</summary>
    public static void Merge<T, C>(ArrayView<float> partialOut, ArrayView<float> partialLse, ArrayView<T> output, ArrayView<float> lse, ArrayView<int> rowMap, int useRowMap, int numHeads, int headDim, int numSplits)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        int mapped = Grid.IdxX / numHeads;
        long rowHead = (long)(useRowMap != 0 ? rowMap[mapped] : mapped) * numHeads + Grid.IdxX % numHeads;
        long first = rowHead * numSplits;
        float max = float.NegativeInfinity;
        for (int s = 0; s < numSplits; s++)
            max = MathF.Max(max, partialLse[first + s]);
        for (int d = Group.IdxX; d < headDim; d += Group.DimX)
        {
            float sum = 0f;
            float weights = 0f;
            for (int s = 0; s < numSplits; s++)
            {
                float splitLse = partialLse[first + s];
                float weight = splitLse == float.NegativeInfinity ? 0f : DeviceMath.Exp(splitLse - max);
                weights += weight;
                sum += weight * partialOut[(first + s) * headDim + d];
            }

            output[rowHead * headDim + d] = codec.Encode(weights > 0f ? sum / weights : 0f);
            if (d == 0)
                lse[rowHead] = weights > 0f ? max + DeviceMath.Log(weights) : float.NegativeInfinity;
        }
    }
}
