using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>Warp- and block-wide reductions over shuffles; callers pass a 32-float shared scratch.</summary>
internal static class BlockReduce
{
    public const int WarpSize = 32;

    public static float WarpSum(float value)
    {
        for (int offset = WarpSize / 2; offset > 0; offset /= 2)
            value += Warp.ShuffleXor(value, offset);
        return value;
    }

    public static float WarpMax(float value)
    {
        for (int offset = WarpSize / 2; offset > 0; offset /= 2)
            value = MathF.Max(value, Warp.ShuffleXor(value, offset));
        return value;
    }

    /// <summary>Sum over the whole group; every thread gets the result. Contains barriers: call from uniform control flow.</summary>
    public static float Sum(float value, ArrayView<float> scratch)
    {
        value = WarpSum(value);
        int lane = Group.IdxX % WarpSize;
        int warp = Group.IdxX / WarpSize;
        if (lane == 0)
            scratch[warp] = value;
        Group.Barrier();
        int warps = (Group.DimX + WarpSize - 1) / WarpSize;
        float total = lane < warps ? scratch[lane] : 0f;
        total = WarpSum(total);
        Group.Barrier();
        return total;
    }

    /// <summary>Maximum over the whole group; every thread gets the result. Contains barriers.</summary>
    public static float Max(float value, ArrayView<float> scratch)
    {
        value = WarpMax(value);
        int lane = Group.IdxX % WarpSize;
        int warp = Group.IdxX / WarpSize;
        if (lane == 0)
            scratch[warp] = value;
        Group.Barrier();
        int warps = (Group.DimX + WarpSize - 1) / WarpSize;
        float total = lane < warps ? scratch[lane] : float.NegativeInfinity;
        total = WarpMax(total);
        Group.Barrier();
        return total;
    }
}
