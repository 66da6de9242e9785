using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>Argmax of each row, one thread block per row; ties go to the lowest index and NaN never wins.</summary>
internal static class ArgmaxKernel
{
    public static void Run<T, C>(ArrayView<T> logits, ArrayView<int> ids, int cols)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        var values = SharedMemory.Allocate<float>(BlockReduce.WarpSize);
        var indices = SharedMemory.Allocate<int>(BlockReduce.WarpSize);
        long offset = (long)Grid.IdxX * cols;
        float best = float.NegativeInfinity;
        int bestIndex = int.MaxValue;
        for (int c = Group.IdxX; c < cols; c += Group.DimX)
        {
            float v = codec.Decode(logits[offset + c]);
            if (v > best || (v == best && c < bestIndex))
            {
                best = v;
                bestIndex = c;
            }
        }

        Combine(ref best, ref bestIndex);
        int lane = Group.IdxX % BlockReduce.WarpSize;
        int warp = Group.IdxX / BlockReduce.WarpSize;
        if (lane == 0)
        {
            values[warp] = best;
            indices[warp] = bestIndex;
        }

        Group.Barrier();
        if (warp == 0)
        {
            int warps = (Group.DimX + BlockReduce.WarpSize - 1) / BlockReduce.WarpSize;
            best = lane < warps ? values[lane] : float.NegativeInfinity;
            bestIndex = lane < warps ? indices[lane] : int.MaxValue;
            Combine(ref best, ref bestIndex);
            if (lane == 0)
                ids[Grid.IdxX] = bestIndex == int.MaxValue ? 0 : bestIndex;
        }
    }

    private static void Combine(ref float best, ref int bestIndex)
    {
        for (int offset = BlockReduce.WarpSize / 2; offset > 0; offset /= 2)
        {
            float otherValue = Warp.ShuffleXor(best, offset);
            int otherIndex = Warp.ShuffleXor(bestIndex, offset);
            if (otherValue > best || (otherValue == best && otherIndex < bestIndex))
            {
                best = otherValue;
                bestIndex = otherIndex;
            }
        }
    }
}
