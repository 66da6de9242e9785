using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// Per-head RMSNorm in place on packed q|k|v rows, one thread block per (row, head) over the query and key heads:
/// Qwen3's q_norm / k_norm (transformers' modeling_qwen3.py). Same arithmetic as <see cref="RmsNormKernel"/>.
/// </summary>
internal static class HeadRmsNormKernel
{
    public static void Run<T, C>(ArrayView<T> qkv, ArrayView<T> queryWeight, ArrayView<T> keyWeight, int headDim, int queryHeads, int normHeads, int rowWidth, float eps)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        var scratch = SharedMemory.Allocate<float>(BlockReduce.WarpSize);
        int row = Grid.IdxX / normHeads;
        int head = Grid.IdxX - (row * normHeads);
        long offset = ((long)row * rowWidth) + ((long)head * headDim);
        float inverse = RmsNormKernel.InverseRms<T, C>(qkv, offset, headDim, eps, scratch);
        for (int c = Group.IdxX; c < headDim; c += Group.DimX)
        {
            float w = head < queryHeads ? codec.Decode(queryWeight[c]) : codec.Decode(keyWeight[c]);
            qkv[offset + c] = codec.Encode(codec.Decode(qkv[offset + c]) * inverse * w);
        }
    }
}
