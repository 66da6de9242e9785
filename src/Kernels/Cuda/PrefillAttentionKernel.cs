using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// Tiled causal attention for many query rows (prefill and mixed steps), FlashAttention-style
/// (Dao et al., 2022): one thread block per (tile of consecutive query rows, KV head, head block). The block walks
/// the keys of each sequence its rows belong to in tiles staged in shared memory, keeping an online softmax and the
/// output accumulators of every (row, head) pair in shared memory, and writes the output and its LSE.
/// A row sees keys in (position − window, position] of its own sequence; rows of several sequences in one tile are
/// handled one sequence at a time, so any batch layout is correct.
/// </summary>
internal static class PrefillAttentionKernel
{
    /// <summary>Upper bound of query rows per block (sizes the static per-row tables).</summary>
    public const int MaxRowsPerBlock = 32;

    public static void Run<T, C>(
        ArrayView<T> queries,
        ArrayView<T> keyCache,
        ArrayView<T> valueCache,
        ArrayView<int> querySequence,
        ArrayView<int> queryPosition,
        ArrayView<int> blockTables,
        ArrayView<T> output,
        ArrayView<float> lse,
        AttentionParams p)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        int dim = p.HeadDim;
        int tile = p.KeyTile;
        int headsPerBlock = p.HeadsPerBlock;
        int rowsPerBlock = p.SplitSize;
        int group = p.NumHeads / p.NumKvHeads;
        int headBlock = Grid.IdxX % p.HeadBlocks;
        int rest = Grid.IdxX / p.HeadBlocks;
        int kvHead = rest % p.NumKvHeads;
        int firstRow = rest / p.NumKvHeads * rowsPerBlock;
        int firstHead = kvHead * group + headBlock * headsPerBlock;
        int heads = Math.Min(headsPerBlock, group - headBlock * headsPerBlock);
        int rows = Math.Min(rowsPerBlock, p.Rows - firstRow);
        int vectors = rowsPerBlock * headsPerBlock;
        int queryWidth = p.NumHeads * dim;
        int kvWidth = p.NumKvHeads * dim;

        var rowSequence = SharedMemory.Allocate<int>(MaxRowsPerBlock);
        var rowLow = SharedMemory.Allocate<int>(MaxRowsPerBlock);
        var rowHigh = SharedMemory.Allocate<int>(MaxRowsPerBlock);
        var shared = SharedMemory.GetDynamic<float>();
        int offset = 0;
        var q = shared.SubView(offset, vectors * dim);
        offset += vectors * dim;
        var o = shared.SubView(offset, vectors * dim);
        offset += vectors * dim;
        var k = shared.SubView(offset, tile * (dim + 1));
        offset += tile * (dim + 1);
        var v = shared.SubView(offset, tile * dim);
        offset += tile * dim;
        var scores = shared.SubView(offset, vectors * tile);
        offset += vectors * tile;
        var maxima = shared.SubView(offset, vectors);
        var sums = shared.SubView(offset + vectors, vectors);
        var alphas = shared.SubView(offset + 2 * vectors, vectors);

        int tid = Group.IdxX;
        int threads = Group.DimX;
        if (tid < rows)
        {
            int position = queryPosition[firstRow + tid];
            rowSequence[tid] = querySequence[firstRow + tid];
            rowHigh[tid] = position;
            rowLow[tid] = p.Window > 0 ? Math.Max(0, position - p.Window + 1) : 0;
        }

        // Vector index = row · headsPerBlock + head; rows beyond the batch and heads beyond the group stay idle.
        for (int e = tid; e < vectors * dim; e += threads)
        {
            int vector = e / dim;
            int d = e - vector * dim;
            int r = vector / headsPerBlock;
            int h = vector - r * headsPerBlock;
            q[e] = r < rows && h < heads
                ? codec.Decode(queries[(long)(firstRow + r) * queryWidth + (firstHead + h) * dim + d]) * p.Scale
                : 0f;
            o[e] = 0f;
        }

        for (int e = tid; e < vectors; e += threads)
        {
            maxima[e] = float.NegativeInfinity;
            sums[e] = 0f;
        }

        Group.Barrier();
        int warp = tid / BlockReduce.WarpSize;
        int lane = tid % BlockReduce.WarpSize;
        int warps = threads / BlockReduce.WarpSize;
        for (int leader = 0; leader < rows; leader++)
        {
            int sequence = rowSequence[leader];
            bool seen = false;
            int keyLow = int.MaxValue;
            int keyHigh = -1;
            for (int r = 0; r < rows; r++)
            {
                if (rowSequence[r] != sequence)
                    continue;
                seen |= r < leader;
                keyLow = Math.Min(keyLow, rowLow[r]);
                keyHigh = Math.Max(keyHigh, rowHigh[r]);
            }

            if (seen)
                continue;
            for (int start = keyLow; start <= keyHigh; start += tile)
            {
                int count = Math.Min(tile, keyHigh - start + 1);
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
                for (int e = tid; e < vectors * tile; e += threads)
                {
                    int vector = e / tile;
                    int j = e - vector * tile;
                    int r = vector / headsPerBlock;
                    int keyPosition = start + j;
                    float s = float.NegativeInfinity;
                    if (j < count && r < rows && rowSequence[r] == sequence && keyPosition >= rowLow[r] && keyPosition <= rowHigh[r])
                    {
                        s = 0f;
                        for (int d = 0; d < dim; d++)
                            s += q[vector * dim + d] * k[j * (dim + 1) + d];
                        s = DeviceMath.SoftCap(s, p.SoftCap);
                    }

                    scores[e] = s;
                }

                Group.Barrier();
                for (int vector = warp; vector < vectors; vector += warps)
                {
                    float tileMax = float.NegativeInfinity;
                    for (int j = lane; j < count; j += BlockReduce.WarpSize)
                        tileMax = MathF.Max(tileMax, scores[vector * tile + j]);
                    tileMax = BlockReduce.WarpMax(tileMax);
                    if (tileMax == float.NegativeInfinity)
                    {
                        // No visible key in this tile: leave the state untouched.
                        for (int j = lane; j < count; j += BlockReduce.WarpSize)
                            scores[vector * tile + j] = 0f;
                        if (lane == 0)
                            alphas[vector] = 1f;
                        continue;
                    }

                    float oldMax = maxima[vector];
                    float newMax = MathF.Max(oldMax, tileMax);
                    float sum = 0f;
                    for (int j = lane; j < count; j += BlockReduce.WarpSize)
                    {
                        float weight = DeviceMath.Exp(scores[vector * tile + j] - newMax);
                        scores[vector * tile + j] = weight;
                        sum += weight;
                    }

                    sum = BlockReduce.WarpSum(sum);
                    if (lane == 0)
                    {
                        float alpha = DeviceMath.Exp(oldMax - newMax);
                        sums[vector] = sums[vector] * alpha + sum;
                        maxima[vector] = newMax;
                        alphas[vector] = alpha;
                    }
                }

                Group.Barrier();
                for (int e = tid; e < vectors * dim; e += threads)
                {
                    int vector = e / dim;
                    int d = e - vector * dim;
                    float a = o[e] * alphas[vector];
                    for (int j = 0; j < count; j++)
                        a += scores[vector * tile + j] * v[j * dim + d];
                    o[e] = a;
                }

                Group.Barrier();
            }
        }

        for (int e = tid; e < vectors * dim; e += threads)
        {
            int vector = e / dim;
            int d = e - vector * dim;
            int r = vector / headsPerBlock;
            int h = vector - r * headsPerBlock;
            if (r >= rows || h >= heads)
                continue;
            float total = sums[vector];
            int row = firstRow + r;
            int head = firstHead + h;
            output[(long)row * queryWidth + head * dim + d] = codec.Encode(total > 0f ? o[e] / total : 0f);
            if (d == 0)
                lse[row * p.NumHeads + head] = total > 0f ? maxima[vector] + DeviceMath.Log(total) : float.NegativeInfinity;
        }
    }
}
