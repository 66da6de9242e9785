using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// Exact in-place merge of two partial attention results over disjoint key sets (the merge of FlashAttention-2 §3.1,
/// https://arxiv.org/abs/2307.08691, and Ring Attention): per row and head lse = log(e^lseA + e^lseB) around the
/// larger of the two, outA = outA·e^(lseA−lse) + outB·e^(lseB−lse); −∞ on the B side leaves A unchanged. One thread
/// block per row: every thread reads both LSEs of the heads it updates, and only after a barrier are the row's LSEs
/// replaced. The CPU twin is CpuAttentionMerge.
/// </summary>
internal static class AttentionMergeKernel
{
    public static void Run<T, C>(ArrayView<T> outputA, ArrayView<float> lseA, ArrayView<T> outputB, ArrayView<float> lseB, int heads, int headDim)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        long row = Grid.IdxX;
        int width = heads * headDim;
        for (int e = Group.IdxX; e < width; e += Group.DimX)
        {
            int h = e / headDim;
            float a = lseA[row * heads + h];
            float b = lseB[row * heads + h];
            float max = MathF.Max(a, b);
            if (b == float.NegativeInfinity || max == float.NegativeInfinity)
                continue;
            float wa = DeviceMath.Exp(a - max);
            float wb = DeviceMath.Exp(b - max);
            float total = wa + wb;
            long index = row * width + e;
            outputA[index] = codec.Encode((codec.Decode(outputA[index]) * wa + codec.Decode(outputB[index]) * wb) / total);
        }

        Group.Barrier();
        for (int h = Group.IdxX; h < heads; h += Group.DimX)
        {
            float a = lseA[row * heads + h];
            float b = lseB[row * heads + h];
            float max = MathF.Max(a, b);
            if (b == float.NegativeInfinity || max == float.NegativeInfinity)
                continue;
            lseA[row * heads + h] = max + DeviceMath.Log(DeviceMath.Exp(a - max) + DeviceMath.Exp(b - max));
        }
    }
}
