using System.Runtime.CompilerServices;
using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// Paged decode attention (flash-decoding): one thread block per (query row, KV head, head block, key split).
/// A block stages KeyTile keys and values of its KV head in shared memory and updates an online softmax for every
/// query head of the GQA group it serves, so each key is read from memory once per group, not once per head.
/// Keys are split at fixed absolute positions (SplitSize); with more than one split each block writes an fp32
/// partial (output, LSE) and <see cref="Merge{T, C}"/> combines them:
/// lse = log Σ e^lseᵢ, out = Σ outᵢ·e^(lseᵢ − lse) (Dao et al., Flash-Decoding, 2023).
/// </summary>
internal static class DecodeAttentionKernel
{
    /// <summary>Largest SplitSize the per-block slot table holds.</summary>
    public const int MaxSplitSize = 128;

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
        int headsPerBlock = p.HeadsPerBlock;
        int group = p.NumHeads / p.NumKvHeads;
        int headBlock = Grid.IdxX % p.HeadBlocks;
        int rest = Grid.IdxX / p.HeadBlocks;
        int kvHead = rest % p.NumKvHeads;
        int row = p.UseRowMap != 0 ? rowMap[rest / p.NumKvHeads] : rest / p.NumKvHeads;
        int split = Grid.IdxY;
        int firstHead = kvHead * group + headBlock * headsPerBlock;
        int heads = Math.Min(headsPerBlock, group - headBlock * headsPerBlock);
        int sequence = querySequence[row];
        int position = queryPosition[row];
        int low = p.Window > 0 ? Math.Max(0, position - p.Window + 1) : 0;
        int from = Math.Max(low, split * p.SplitSize);
        int to = Math.Min(position, split * p.SplitSize + p.SplitSize - 1);
        int queryWidth = p.NumHeads * dim;
        int kvWidth = p.NumKvHeads * dim;

        var slots = SharedMemory.Allocate<long>(MaxSplitSize);
        var shared = SharedMemory.GetDynamic<float>();
        int offset = 0;
        var q = shared.SubView(offset, headsPerBlock * dim);
        offset += headsPerBlock * dim;
        var k = shared.SubView(offset, tile * (dim + 1));
        offset += tile * (dim + 1);
        var v = shared.SubView(offset, tile * dim);
        offset += tile * dim;
        var scores = shared.SubView(offset, headsPerBlock * tile);
        offset += headsPerBlock * tile;
        var maxima = shared.SubView(offset, headsPerBlock);
        var sums = shared.SubView(offset + headsPerBlock, headsPerBlock);
        var alphas = shared.SubView(offset + 2 * headsPerBlock, headsPerBlock);

        int tid = Group.IdxX;
        int threads = Group.DimX;
        for (int e = tid; e < heads * dim; e += threads)
            q[e] = codec.Decode(queries[(long)row * queryWidth + firstHead * dim + e]) * p.Scale;
        if (tid < heads)
        {
            maxima[tid] = float.NegativeInfinity;
            sums[tid] = 0f;
        }

        // Resolve the split's key positions to cache element offsets once: the block-table lookup is a dependent
        // load that would otherwise sit in front of every key load.
        for (int j = tid; j <= to - from; j += threads)
        {
            int keyPosition = from + j;
            long slot = (long)blockTables[sequence * p.MaxBlocks + keyPosition / p.BlockSize] * p.BlockSize + keyPosition % p.BlockSize;
            slots[j] = slot * kvWidth + kvHead * dim;
        }

        Group.Barrier();
        int myHead = tid / dim;
        int myDim = tid - myHead * dim;
        bool owner = myHead < heads;
        int warp = tid / BlockReduce.WarpSize;
        int lane = tid % BlockReduce.WarpSize;
        int warps = threads / BlockReduce.WarpSize;

        // Scores: each dot product is shared by `parts` adjacent lanes (a power of two) and reduced by shuffles.
        int parts = 1;
        while (parts < BlockReduce.WarpSize && parts * 2 * heads * tile <= threads && dim % (parts * 2) == 0)
            parts *= 2;
        int part = tid % parts;
        int dot = tid / parts;
        int partDims = dim / parts;
        float accumulator = 0f;

        // Software pipeline: each thread holds up to StageDepth keys and values of the next tile in registers, loaded
        // while the block computes on the current one (the host keeps tile·dim ≤ StageDepth·threads).
        T k0 = default, k1 = default, k2 = default, k3 = default, k4 = default, k5 = default, k6 = default, k7 = default;
        T v0 = default, v1 = default, v2 = default, v3 = default, v4 = default, v5 = default, v6 = default, v7 = default;
        if (from <= to)
        {
            int elements = Math.Min(tile, to - from + 1) * dim;
            Fetch(ref k0, ref v0, keyCache, valueCache, slots, 0, tid, elements, dim);
            Fetch(ref k1, ref v1, keyCache, valueCache, slots, 0, tid + threads, elements, dim);
            Fetch(ref k2, ref v2, keyCache, valueCache, slots, 0, tid + 2 * threads, elements, dim);
            Fetch(ref k3, ref v3, keyCache, valueCache, slots, 0, tid + 3 * threads, elements, dim);
            Fetch(ref k4, ref v4, keyCache, valueCache, slots, 0, tid + 4 * threads, elements, dim);
            Fetch(ref k5, ref v5, keyCache, valueCache, slots, 0, tid + 5 * threads, elements, dim);
            Fetch(ref k6, ref v6, keyCache, valueCache, slots, 0, tid + 6 * threads, elements, dim);
            Fetch(ref k7, ref v7, keyCache, valueCache, slots, 0, tid + 7 * threads, elements, dim);
        }

        for (int start = from; start <= to; start += tile)
        {
            int count = Math.Min(tile, to - start + 1);
            int elements = count * dim;
            Stash<T, C>(k0, v0, k, v, tid, elements, dim);
            Stash<T, C>(k1, v1, k, v, tid + threads, elements, dim);
            Stash<T, C>(k2, v2, k, v, tid + 2 * threads, elements, dim);
            Stash<T, C>(k3, v3, k, v, tid + 3 * threads, elements, dim);
            Stash<T, C>(k4, v4, k, v, tid + 4 * threads, elements, dim);
            Stash<T, C>(k5, v5, k, v, tid + 5 * threads, elements, dim);
            Stash<T, C>(k6, v6, k, v, tid + 6 * threads, elements, dim);
            Stash<T, C>(k7, v7, k, v, tid + 7 * threads, elements, dim);
            Group.Barrier();
            int next = start + tile;
            if (next <= to)
            {
                int nextElements = Math.Min(tile, to - next + 1) * dim;
                int first = next - from;
                Fetch(ref k0, ref v0, keyCache, valueCache, slots, first, tid, nextElements, dim);
                Fetch(ref k1, ref v1, keyCache, valueCache, slots, first, tid + threads, nextElements, dim);
                Fetch(ref k2, ref v2, keyCache, valueCache, slots, first, tid + 2 * threads, nextElements, dim);
                Fetch(ref k3, ref v3, keyCache, valueCache, slots, first, tid + 3 * threads, nextElements, dim);
                Fetch(ref k4, ref v4, keyCache, valueCache, slots, first, tid + 4 * threads, nextElements, dim);
                Fetch(ref k5, ref v5, keyCache, valueCache, slots, first, tid + 5 * threads, nextElements, dim);
                Fetch(ref k6, ref v6, keyCache, valueCache, slots, first, tid + 6 * threads, nextElements, dim);
                Fetch(ref k7, ref v7, keyCache, valueCache, slots, first, tid + 7 * threads, nextElements, dim);
            }

            // Uniform trip count across the warp: every lane reaches the shuffles.
            for (int roundBase = 0; roundBase < heads * tile; roundBase += threads / parts)
            {
                int round = roundBase + dot;
                int h = round / tile;
                int j = round - h * tile;
                bool valid = round < heads * tile && j < count;
                float s = 0f;
                if (valid)
                {
                    int qBase = h * dim + part * partDims;
                    int kBase = j * (dim + 1) + part * partDims;
                    float s1 = 0f;
                    int d = 0;
                    for (; d + 1 < partDims; d += 2)
                    {
                        s += q[qBase + d] * k[kBase + d];
                        s1 += q[qBase + d + 1] * k[kBase + d + 1];
                    }

                    if (d < partDims)
                        s += q[qBase + d] * k[kBase + d];
                    s += s1;
                }

                for (int o = 1; o < parts; o *= 2)
                    s += Warp.ShuffleXor(s, o);
                if (part == 0 && round < heads * tile)
                    scores[h * tile + j] = valid ? s : float.NegativeInfinity;
            }

            Group.Barrier();
            for (int h = warp; h < heads; h += warps)
            {
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
            if (owner)
            {
                float a0 = accumulator * alphas[myHead];
                float a1 = 0f, a2 = 0f, a3 = 0f;
                int pBase = myHead * tile;
                int j = 0;
                for (; j + 3 < count; j += 4)
                {
                    a0 += scores[pBase + j] * v[j * dim + myDim];
                    a1 += scores[pBase + j + 1] * v[(j + 1) * dim + myDim];
                    a2 += scores[pBase + j + 2] * v[(j + 2) * dim + myDim];
                    a3 += scores[pBase + j + 3] * v[(j + 3) * dim + myDim];
                }

                for (; j < count; j++)
                    a0 += scores[pBase + j] * v[j * dim + myDim];
                accumulator = (a0 + a1) + (a2 + a3);
            }

            Group.Barrier();
        }

        if (!owner)
            return;
        float total = sums[myHead];
        float result = total > 0f ? accumulator / total : 0f;
        float rowLse = total > 0f ? maxima[myHead] + DeviceMath.Log(total) : float.NegativeInfinity;
        int head = firstHead + myHead;
        if (p.NumSplits == 1)
        {
            output[(long)row * queryWidth + head * dim + myDim] = codec.Encode(result);
            if (myDim == 0)
                lse[row * p.NumHeads + head] = rowLse;
        }
        else
        {
            long partial = ((long)row * p.NumHeads + head) * p.NumSplits + split;
            partialOut[partial * dim + myDim] = result;
            if (myDim == 0)
                partialLse[partial] = rowLse;
        }
    }

    /// <summary>Number of keys and values each thread stages in registers per tile.</summary>
    public const int StageDepth = 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fetch<T>(ref T key, ref T value, ArrayView<T> keyCache, ArrayView<T> valueCache, ArrayView<long> slots, int first, int e, int elements, int dim)
        where T : unmanaged
    {
        if (e >= elements)
            return;
        int j = e / dim;
        long source = slots[first + j] + (e - j * dim);
        key = keyCache[source];
        value = valueCache[source];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Stash<T, C>(T key, T value, ArrayView<float> k, ArrayView<float> v, int e, int elements, int dim)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        if (e >= elements)
            return;
        C codec = default;
        int j = e / dim;
        int d = e - j * dim;
        k[j * (dim + 1) + d] = codec.Decode(key);
        v[j * dim + d] = codec.Decode(value);
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
