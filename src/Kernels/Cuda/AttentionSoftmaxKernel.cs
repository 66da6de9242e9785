using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// Masked row softmax between the two cuBLAS products of the GEMM prefill path: one thread block per (head, query
/// row) over fp32 scores [heads × rows × keys] (already scaled). Keys after the row's position, or outside its
/// sliding window, get probability 0. Writes probabilities in the cache type and the row's natural-log LSE.
/// </summary>
internal static class AttentionSoftmaxKernel
{
    public static void Run<T, C>(ArrayView<float> scores, ArrayView<T> probabilities, ArrayView<float> lse, int keys, int rows, int heads, int lseRowStart, int firstPosition, int keyBase, int window)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        var scratch = SharedMemory.Allocate<float>(BlockReduce.WarpSize);
        int head = Grid.IdxX / rows;
        int row = Grid.IdxX - head * rows;
        int position = firstPosition + row;
        int last = Math.Min(keys, position - keyBase + 1);
        int first = window > 0 ? Math.Max(0, position - window + 1 - keyBase) : 0;
        long offset = (long)Grid.IdxX * keys;
        float max = float.NegativeInfinity;
        for (int j = first + Group.IdxX; j < last; j += Group.DimX)
            max = MathF.Max(max, scores[offset + j]);
        max = BlockReduce.Max(max, scratch);
        float sum = 0f;
        for (int j = first + Group.IdxX; j < last; j += Group.DimX)
            sum += DeviceMath.Exp(scores[offset + j] - max);
        sum = BlockReduce.Sum(sum, scratch);
        float inverse = sum > 0f ? 1f / sum : 0f;
        for (int j = Group.IdxX; j < keys; j += Group.DimX)
        {
            float probability = j >= first && j < last ? DeviceMath.Exp(scores[offset + j] - max) * inverse : 0f;
            probabilities[offset + j] = codec.Encode(probability);
        }

        if (Group.IdxX == 0)
            lse[(long)(lseRowStart + row) * heads + head] = sum > 0f ? max + DeviceMath.Log(sum) : float.NegativeInfinity;
    }
}
