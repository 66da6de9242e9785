using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// Rotary embedding, rotate-half form, in place; one thread per (row, head, pair).
/// Hugging Face apply_rotary_pos_emb: x·cos + rotate_half(x)·sin with angle = position · invFreq[i].
/// </summary>
internal static class RopeKernel
{
    // 2π split for Cody-Waite range reduction: 6.28125 has 8 significant bits, so k·TwoPiHigh is exact for |k| < 2^16.
    private const float TwoPiHigh = 6.28125f;
    private const float TwoPiLow = 1.9353071795864769e-3f;
    private const float InverseTwoPi = 0.15915494309189535f;

    public static void Run<T, C>(ArrayView<T> x, ArrayView<int> positions, ArrayView<float> invFreq, int rows, int cols, int headDim, float scaling)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        int half = headDim / 2;
        int heads = cols / headDim;
        int count = rows * heads * half;
        int stride = Grid.DimX * Group.DimX;
        for (int e = Grid.GlobalIndex.X; e < count; e += stride)
        {
            int i = e % half;
            int rowHead = e / half;
            int row = rowHead / heads;
            int head = rowHead - row * heads;
            float angle = positions[row] * invFreq[i];

            // The hardware sin/cos are accurate only near zero; reduce the angle to [-π, π] first.
            float k = MathF.Floor(angle * InverseTwoPi + 0.5f);
            float reduced = (angle - k * TwoPiHigh) - k * TwoPiLow;
            float cos = MathF.Cos(reduced) * scaling;
            float sin = MathF.Sin(reduced) * scaling;

            long a = (long)row * cols + head * headDim + i;
            long b = a + half;
            float x1 = codec.Decode(x[a]);
            float x2 = codec.Decode(x[b]);
            x[a] = codec.Encode(x1 * cos - x2 * sin);
            x[b] = codec.Encode(x2 * cos + x1 * sin);
        }
    }
}
