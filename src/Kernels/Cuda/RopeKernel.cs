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
            float reduced = Reduce(positions[row] * invFreq[i]);
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

    /// <summary>
    /// Packed q | k | v rows of a fused projection, one thread per (row, head, pair) over the heads + 2·kvHeads heads
    /// of a row: q pairs are rotated into queries, k pairs rotated into keyCache[slots[row]], v pairs copied to
    /// valueCache[slots[row]] (a negative slot skips the row). The rotation is <see cref="Run{T, C}"/>'s.
    /// </summary>
    public static void RunPacked<T, C>(ArrayView<T> qkv, ArrayView<int> positions, ArrayView<float> invFreq, ArrayView<T> queries, ArrayView<T> keyCache, ArrayView<T> valueCache, ArrayView<int> slots, int rows, int heads, int kvHeads, int headDim, float scaling)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        int half = headDim / 2;
        int units = heads + 2 * kvHeads;
        int kvWidth = kvHeads * headDim;
        int count = rows * units * half;
        int stride = Grid.DimX * Group.DimX;
        for (int e = Grid.GlobalIndex.X; e < count; e += stride)
        {
            int i = e % half;
            int rowUnit = e / half;
            int row = rowUnit / units;
            int unit = rowUnit - row * units;
            long a = (long)row * units * headDim + unit * headDim + i;
            long b = a + half;
            int slot = slots[row];
            if (unit >= heads + kvHeads)
            {
                if (slot >= 0)
                {
                    long target = (long)slot * kvWidth + (unit - heads - kvHeads) * headDim + i;
                    valueCache[target] = qkv[a];
                    valueCache[target + half] = qkv[b];
                }

                continue;
            }

            float reduced = Reduce(positions[row] * invFreq[i]);
            float cos = MathF.Cos(reduced) * scaling;
            float sin = MathF.Sin(reduced) * scaling;
            float x1 = codec.Decode(qkv[a]);
            float x2 = codec.Decode(qkv[b]);
            T r1 = codec.Encode(x1 * cos - x2 * sin);
            T r2 = codec.Encode(x2 * cos + x1 * sin);
            if (unit < heads)
            {
                long target = (long)row * heads * headDim + unit * headDim + i;
                queries[target] = r1;
                queries[target + half] = r2;
            }
            else if (slot >= 0)
            {
                long target = (long)slot * kvWidth + (unit - heads) * headDim + i;
                keyCache[target] = r1;
                keyCache[target + half] = r2;
            }
        }
    }

    /// <summary>The hardware sin/cos are accurate only near zero: <paramref name="angle"/> reduced to [-π, π].</summary>
    private static float Reduce(float angle)
    {
        float k = MathF.Floor(angle * InverseTwoPi + 0.5f);
        return (angle - k * TwoPiHigh) - k * TwoPiLow;
    }
}
