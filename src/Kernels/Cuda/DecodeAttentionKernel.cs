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
        for (int start = from; start <= to; start += tile)
        {
            int count = Math.Min(tile, to - start + 1);
            int elements = count * dim;
            int first = start - from;
            // Four independent loads per key and value before any store, so the loads overlap in flight.
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
                k[j0 * (dim + 1) + d0] = codec.Decode(k0);
                v[j0 * dim + d0] = codec.Decode(v0);
                if (e1 < elements)
                {
                    k[j1 * (dim + 1) + d1] = codec.Decode(k1);
                    v[j1 * dim + d1] = codec.Decode(v1);
                }

                if (e2 < elements)
                {
                    k[j2 * (dim + 1) + d2] = codec.Decode(k2);
                    v[j2 * dim + d2] = codec.Decode(v2);
                }

                if (e3 < elements)
                {
                    k[j3 * (dim + 1) + d3] = codec.Decode(k3);
                    v[j3 * dim + d3] = codec.Decode(v3);
                }
            }

            Group.Barrier();
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
