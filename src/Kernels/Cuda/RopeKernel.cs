using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// Rotary embedding, rotate-half form, in place; one thread per (row, head, pair).
/// Hugging Face apply_rotary_pos_emb: x·cos + rotate_half(x)·sin with angle = position · invFreq[i]. With r = 2·rotaryHalf
/// below headDim (partial rotary) only each head's first r values rotate, pairs (i, i + r/2); the rest pass through.
/// </summary>
internal static class RopeKernel
{
    // 2π split for Cody-Waite range reduction: 6.28125 has 8 significant bits, so k·TwoPiHigh is exact for |k| < 2^16.
    private const float TwoPiHigh = 6.28125f;
    private const float TwoPiLow = 1.9353071795864769e-3f;
    private const float InverseTwoPi = 0.15915494309189535f;

    public static void Run<T, C>(ArrayView<T> x, ArrayView<int> positions, ArrayView<float> invFreq, int rows, int cols, int headDim, int rotaryHalf, float scaling)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        int heads = cols / headDim;
        int count = rows * heads * rotaryHalf;
        int stride = Grid.DimX * Group.DimX;
        for (int e = Grid.GlobalIndex.X; e < count; e += stride)
        {
            int i = e % rotaryHalf;
            int rowHead = e / rotaryHalf;
            int row = rowHead / heads;
            int head = rowHead - row * heads;
            float reduced = Reduce(positions[row] * invFreq[i]);
            float cos = MathF.Cos(reduced) * scaling;
            float sin = MathF.Sin(reduced) * scaling;
            long a = (long)row * cols + head * headDim + i;
            long b = a + rotaryHalf;
            float x1 = codec.Decode(x[a]);
            float x2 = codec.Decode(x[b]);
            x[a] = codec.Encode(x1 * cos - x2 * sin);
            x[b] = codec.Encode(x2 * cos + x1 * sin);
        }
    }

    /// <summary>
    /// Packed q | k | v rows of a fused projection, one thread per (row, head, pair of values) over the heads + 2·kvHeads
    /// heads of a row: q is rotated into queries, k rotated into keyCache[slots[row]], v copied to
    /// valueCache[slots[row]] (a negative slot skips the row). Thread p &lt; rotaryHalf rotates pair (p, p + rotaryHalf);
    /// the others copy two of the values past the rotary dimension. The rotation is <see cref="Run{T, C}"/>'s.
    /// </summary>
    public static void RunPacked<T, C>(ArrayView<T> qkv, ArrayView<int> positions, ArrayView<float> invFreq, ArrayView<T> queries, ArrayView<T> keyCache, ArrayView<T> valueCache, ArrayView<int> slots, int rows, int heads, int kvHeads, int headDim, int rotaryHalf, float scaling)
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
            int p = e % half;
            int rowUnit = e / half;
            int row = rowUnit / units;
            int unit = rowUnit - row * units;
            long head = (long)row * units * headDim + unit * headDim;
            int slot = slots[row];
            if (unit >= heads + kvHeads)
            {
                if (slot >= 0)
                {
                    long target = (long)slot * kvWidth + (unit - heads - kvHeads) * headDim + p;
                    valueCache[target] = qkv[head + p];
                    valueCache[target + half] = qkv[head + p + half];
                }

                continue;
            }

            if (unit >= heads && slot < 0)
            {
                continue;
            }

            // Rotated pair (p, p + rotaryHalf), or two pass-through values (j, j + 1) past the rotary dimension.
            int ia = p;
            int ib = p + rotaryHalf;
            T r1;
            T r2;
            if (p < rotaryHalf)
            {
                float reduced = Reduce(positions[row] * invFreq[p]);
                float cos = MathF.Cos(reduced) * scaling;
                float sin = MathF.Sin(reduced) * scaling;
                float x1 = codec.Decode(qkv[head + ia]);
                float x2 = codec.Decode(qkv[head + ib]);
                r1 = codec.Encode(x1 * cos - x2 * sin);
                r2 = codec.Encode(x2 * cos + x1 * sin);
            }
            else
            {
                ia = 2 * p;
                ib = ia + 1;
                r1 = qkv[head + ia];
                r2 = qkv[head + ib];
            }

            if (unit < heads)
            {
                long target = (long)row * heads * headDim + unit * headDim;
                queries[target + ia] = r1;
                queries[target + ib] = r2;
            }
            else
            {
                long target = (long)slot * kvWidth + (unit - heads) * headDim;
                keyCache[target + ia] = r1;
                keyCache[target + ib] = r2;
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
