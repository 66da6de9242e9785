using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// RMSNorm, one thread block per row: output = x / sqrt(mean(x²) + eps) · weight, sums in fp32
/// (Hugging Face LlamaRMSNorm: https://github.com/huggingface/transformers/blob/main/src/transformers/models/llama/modeling_llama.py).
/// </summary>
internal static class RmsNormKernel
{
    public static void Run<T, C>(ArrayView<T> x, ArrayView<T> weight, ArrayView<T> output, int cols, float eps)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        var scratch = SharedMemory.Allocate<float>(BlockReduce.WarpSize);
        long offset = (long)Grid.IdxX * cols;
        float inverse = InverseRms<T, C>(x, offset, cols, eps, scratch);
        for (int c = Group.IdxX; c < cols; c += Group.DimX)
            output[offset + c] = codec.Encode(codec.Decode(x[offset + c]) * inverse * codec.Decode(weight[c]));
    }

    /// <summary>
    /// accumulator += x, then output = RmsNorm(accumulator): each thread rounds its sums to the storage type, stores
    /// them, and squares the stored values, so the norm sees exactly what a separate Add would have left. Each thread
    /// re-reads only the elements it wrote itself, so the second pass needs no barrier beyond the reduction's.
    /// </summary>
    public static void AddThenNorm<T, C>(ArrayView<T> accumulator, ArrayView<T> x, ArrayView<T> weight, ArrayView<T> output, int cols, float eps)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        var scratch = SharedMemory.Allocate<float>(BlockReduce.WarpSize);
        long offset = (long)Grid.IdxX * cols;
        float sum = 0f;
        for (int c = Group.IdxX; c < cols; c += Group.DimX)
        {
            T stored = codec.Encode(codec.Decode(accumulator[offset + c]) + codec.Decode(x[offset + c]));
            accumulator[offset + c] = stored;
            float v = codec.Decode(stored);
            sum += v * v;
        }

        float inverse = 1f / MathF.Sqrt(BlockReduce.Sum(sum, scratch) / cols + eps);
        for (int c = Group.IdxX; c < cols; c += Group.DimX)
            output[offset + c] = codec.Encode(codec.Decode(accumulator[offset + c]) * inverse * codec.Decode(weight[c]));
    }

    /// <summary>1 / sqrt(mean(x²) + eps) over x[offset, offset + cols), summed by the whole thread block (every thread gets it). Contains barriers.</summary>
    public static float InverseRms<T, C>(ArrayView<T> x, long offset, int cols, float eps, ArrayView<float> scratch)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        float sum = 0f;
        for (int c = Group.IdxX; c < cols; c += Group.DimX)
        {
            float v = codec.Decode(x[offset + c]);
            sum += v * v;
        }

        return 1f / MathF.Sqrt(BlockReduce.Sum(sum, scratch) / cols + eps);
    }
}
