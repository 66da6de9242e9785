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
        int row = rest / p.NumKvHeads;
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

        Group.Barrier();
        int myHead = tid / dim;
        int myDim = tid - myHead * dim;
        bool owner = myHead < heads;
        int warp = tid / BlockReduce.WarpSize;
        int lane = tid % BlockReduce.WarpSize;
        int warps = threads / BlockReduce.WarpSize;
        float accumulator = 0f;
        for (int start = from; start <= to; start += tile)
        {
            int count = Math.Min(tile, to - start + 1);
            for (int e = tid; e < count * dim; e += threads)
            {
                int j = e / dim;
                int d = e - j * dim;
                int keyPosition = start + j;
                long slot = (long)blockTables[sequence * p.MaxBlocks + keyPosition / p.BlockSize] * p.BlockSize + keyPosition % p.BlockSize;
                long source = slot * kvWidth + kvHead * dim + d;
                k[j * (dim + 1) + d] = codec.Decode(keyCache[source]);
                v[j * dim + d] = codec.Decode(valueCache[source]);
            }

            Group.Barrier();
            for (int e = tid; e < heads * tile; e += threads)
            {
                int h = e / tile;
                int j = e - h * tile;
                float s = float.NegativeInfinity;
                if (j < count)
                {
                    s = 0f;
                    for (int d = 0; d < dim; d++)
                        s += q[h * dim + d] * k[j * (dim + 1) + d];
                }

                scores[h * tile + j] = s;
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
                float a = accumulator * alphas[myHead];
                for (int j = 0; j < count; j++)
                    a += scores[myHead * tile + j] * v[j * dim + myDim];
                accumulator = a;
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

    /// <summary>Combines the split partials of one (row, head) per thread block; one thread per feature.</summary>
    public static void Merge<T, C>(ArrayView<float> partialOut, ArrayView<float> partialLse, ArrayView<T> output, ArrayView<float> lse, int headDim, int numSplits)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        long rowHead = Grid.IdxX;
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
