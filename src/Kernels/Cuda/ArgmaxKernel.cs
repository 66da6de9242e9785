using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>Argmax of each row in two passes (chunks of a row in parallel, then per row); ties go to the lowest index and NaN never wins.</summary>
internal static class ArgmaxKernel
{
    /// <summary>Pass 1: block (row, chunk) finds the best of columns [chunk·chunkCols, (chunk+1)·chunkCols).</summary>
    public static void Partial<T, C>(ArrayView<T> logits, ArrayView<float> partialValues, ArrayView<int> partialIndices, int cols, int chunkCols, int chunks)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        int row = Grid.IdxX / chunks;
        int chunk = Grid.IdxX - row * chunks;
        long offset = (long)row * cols;
        int end = Math.Min(cols, (chunk + 1) * chunkCols);
        float best = float.NegativeInfinity;
        int bestIndex = int.MaxValue;
        for (int c = chunk * chunkCols + Group.IdxX; c < end; c += Group.DimX)
        {
            float v = codec.Decode(logits[offset + c]);
            if (v > best || (v == best && c < bestIndex))
            {
                best = v;
                bestIndex = c;
            }
        }

        BlockBest(ref best, ref bestIndex);
        if (Group.IdxX == 0)
        {
            partialValues[Grid.IdxX] = best;
            partialIndices[Grid.IdxX] = bestIndex;
        }
    }

    /// <summary>Pass 2: one block per row combines its chunks' winners.</summary>
    public static void Final(ArrayView<float> partialValues, ArrayView<int> partialIndices, ArrayView<int> ids, int chunks)
    {
        long offset = (long)Grid.IdxX * chunks;
        float best = float.NegativeInfinity;
        int bestIndex = int.MaxValue;
        for (int c = Group.IdxX; c < chunks; c += Group.DimX)
        {
            float v = partialValues[offset + c];
            int index = partialIndices[offset + c];
            if (v > best || (v == best && index < bestIndex))
            {
                best = v;
                bestIndex = index;
            }
        }

        BlockBest(ref best, ref bestIndex);
        if (Group.IdxX == 0)
            ids[Grid.IdxX] = bestIndex == int.MaxValue ? 0 : bestIndex;
    }

    /// <summary>Block-wide (value, index) maximum; thread 0 ends with the result. Contains a barrier.</summary>
    private static void BlockBest(ref float best, ref int bestIndex)
    {
        var values = SharedMemory.Allocate<float>(BlockReduce.WarpSize);
        var indices = SharedMemory.Allocate<int>(BlockReduce.WarpSize);
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
