using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// Masked row softmax between the two cuBLAS products of the GEMM block-attention path, masking by explicit
/// positions (the keys of a block need not be contiguous): one thread block per (head, query row) over fp32 scores
/// [heads × rows × keys] (already scaled) for query rows from <c>rowStart</c> and keys from <c>keyStart</c>. A key is
/// visible when its position is ≤ the row's and, with a window, &gt; the row's minus the window. Writes
/// probabilities in the activation type (0 for masked keys) and the row's natural-log LSE (−∞ when no key is visible,
/// which leaves the probabilities 0 and so the output 0).
/// </summary>
internal static class BlockSoftmaxKernel
{
    public static void Run<T, C>(ArrayView<float> scores, ArrayView<T> probabilities, ArrayView<float> lse, ArrayView<int> queryPositions, ArrayView<int> keyPositions, int keys, int rows, int heads, int rowStart, int keyStart, int window)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        var scratch = SharedMemory.Allocate<float>(BlockReduce.WarpSize);
        int head = Grid.IdxX / rows;
        int row = Grid.IdxX - head * rows;
        int position = queryPositions[rowStart + row];
        long offset = (long)Grid.IdxX * keys;
        float max = float.NegativeInfinity;
        for (int j = Group.IdxX; j < keys; j += Group.DimX)
        {
            if (Visible(keyPositions[keyStart + j], position, window))
                max = MathF.Max(max, scores[offset + j]);
        }

        max = BlockReduce.Max(max, scratch);
        float sum = 0f;
        for (int j = Group.IdxX; j < keys; j += Group.DimX)
        {
            if (Visible(keyPositions[keyStart + j], position, window))
                sum += DeviceMath.Exp(scores[offset + j] - max);
        }

        sum = BlockReduce.Sum(sum, scratch);
        float inverse = sum > 0f ? 1f / sum : 0f;
        for (int j = Group.IdxX; j < keys; j += Group.DimX)
        {
            float probability = Visible(keyPositions[keyStart + j], position, window) ? DeviceMath.Exp(scores[offset + j] - max) * inverse : 0f;
            probabilities[offset + j] = codec.Encode(probability);
        }

        if (Group.IdxX == 0)
            lse[(long)(rowStart + row) * heads + head] = sum > 0f ? max + DeviceMath.Log(sum) : float.NegativeInfinity;
    }

    private static bool Visible(int keyPosition, int position, int window) =>
        keyPosition <= position && (window <= 0 || keyPosition > position - window);
}
