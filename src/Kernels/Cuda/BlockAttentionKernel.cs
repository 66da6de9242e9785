using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// Direct block attention for small blocks: one thread block per (query row, head) walks the key range in tiles of
/// one key per thread with an online softmax (Milakov and Gimelshein, https://arxiv.org/abs/1805.02867), keeping the
/// output accumulator in shared memory. A key is visible when its position is ≤ the row's and, with a window, &gt;
/// the row's minus the window; masked keys contribute exactly 0, and a row that sees none gets output 0 and LSE −∞.
/// The CPU twin is CpuBlockAttention; large blocks go through the GEMM path instead.
/// </summary>
internal static class BlockAttentionKernel
{
    public const int Threads = 64;

    /// <summary>Dynamic shared floats: the scaled query, the accumulator and one weight per thread.</summary>
    public static int SharedFloats(int headDim) => 2 * headDim + Threads;

    public static void Run<T, C>(
        ArrayView<T> queries,
        ArrayView<int> queryPositions,
        ArrayView<T> keys,
        ArrayView<T> values,
        ArrayView<int> keyPositions,
        ArrayView<T> output,
        ArrayView<float> lse,
        BlockAttentionParams p)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        int dim = p.HeadDim;
        int row = p.RowStart + Grid.IdxX / p.NumHeads;
        int head = Grid.IdxX % p.NumHeads;
        int kvHead = head / (p.NumHeads / p.NumKvHeads);
        int queryWidth = p.NumHeads * dim;
        int kvWidth = p.NumKvHeads * dim;
        var scratch = SharedMemory.Allocate<float>(BlockReduce.WarpSize);
        var shared = SharedMemory.GetDynamic<float>();
        var q = shared.SubView(0, dim);
        var acc = shared.SubView(dim, dim);
        var weights = shared.SubView(2 * dim, Threads);
        int tid = Group.IdxX;
        for (int i = tid; i < dim; i += Group.DimX)
        {
            q[i] = codec.Decode(queries[(long)row * queryWidth + head * dim + i]) * p.Scale;
            acc[i] = 0f;
        }

        int position = queryPositions[row];
        Group.Barrier();
        float max = float.NegativeInfinity;
        float sum = 0f;
        for (int tile = 0; tile < p.KeyCount; tile += Group.DimX)
        {
            int j = tile + tid;
            float s = float.NegativeInfinity;
            if (j < p.KeyCount)
            {
                int keyPosition = keyPositions[p.KeyStart + j];
                if (keyPosition <= position && (p.Window <= 0 || keyPosition > position - p.Window))
                {
                    long key = (long)(p.KeyStart + j) * kvWidth + kvHead * dim;
                    s = 0f;
                    for (int d = 0; d < dim; d++)
                        s += q[d] * codec.Decode(keys[key + d]);
                }
            }

            // Uniform across the block (reductions), so every thread takes the same branch and reaches the same barriers.
            float tileMax = BlockReduce.Max(s, scratch);
            if (tileMax == float.NegativeInfinity)
                continue;
            float newMax = MathF.Max(max, tileMax);
            float weight = s == float.NegativeInfinity ? 0f : DeviceMath.Exp(s - newMax);
            weights[tid] = weight;
            float tileSum = BlockReduce.Sum(weight, scratch);
            float correction = DeviceMath.Exp(max - newMax);
            sum = sum * correction + tileSum;
            max = newMax;
            int count = Math.Min(Group.DimX, p.KeyCount - tile);
            for (int d = tid; d < dim; d += Group.DimX)
            {
                float a = acc[d] * correction;
                for (int t = 0; t < count; t++)
                {
                    float w = weights[t];
                    if (w != 0f)
                        a += w * codec.Decode(values[(long)(p.KeyStart + tile + t) * kvWidth + kvHead * dim + d]);
                }

                acc[d] = a;
            }
        }

        for (int d = tid; d < dim; d += Group.DimX)
            output[(long)row * queryWidth + head * dim + d] = codec.Encode(sum > 0f ? acc[d] / sum : 0f);
        if (tid == 0)
            lse[(long)row * p.NumHeads + head] = sum > 0f ? max + DeviceMath.Log(sum) : float.NegativeInfinity;
    }
}
