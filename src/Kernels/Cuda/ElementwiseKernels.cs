using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// Element-parallel kernels: one thread per element in a grid-stride loop, so any grid size covers any count.
/// Generic over the storage codec of their float operands (see <see cref="IElementCodec{T}"/>).
/// </summary>
internal static class ElementwiseKernels
{
    /// <summary>accumulator[i] += x[i].</summary>
    public static void Add<T, C>(ArrayView<T> accumulator, ArrayView<T> x, int count)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < count; i += stride)
            accumulator[i] = codec.Encode(codec.Decode(accumulator[i]) + codec.Decode(x[i]));
    }

    /// <summary>y[r, c] += bias[c] (the bias of a linear layer, after the GEMM).</summary>
    public static void AddBias<T, C>(ArrayView<T> y, ArrayView<T> bias, int count, int cols)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < count; i += stride)
            y[i] = codec.Encode(codec.Decode(y[i]) + codec.Decode(bias[i % cols]));
    }

    /// <summary>output = silu(gate) · up with silu(g) = g / (1 + e^-g).</summary>
    public static void SiluMul<T, C>(ArrayView<T> gate, ArrayView<T> up, ArrayView<T> output, int count)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < count; i += stride)
        {
            float g = codec.Decode(gate[i]);
            output[i] = codec.Encode(g / (1f + DeviceMath.Exp(-g)) * codec.Decode(up[i]));
        }
    }

    /// <summary>output[r, c] = silu(gateUp[r, c]) · gateUp[r, cols + c]: SwiGLU over a fused gate|up projection, <see cref="SiluMul{T, C}"/>'s formula.</summary>
    public static void SwiGlu<T, C>(ArrayView<T> gateUp, ArrayView<T> output, int rows, int cols)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        int count = rows * cols;
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < count; i += stride)
        {
            int r = i / cols;
            long gate = (long)r * 2 * cols + (i - r * cols);
            float g = codec.Decode(gateUp[gate]);
            output[i] = codec.Encode(g / (1f + DeviceMath.Exp(-g)) * codec.Decode(gateUp[gate + cols]));
        }
    }

    /// <summary>destination[i] = source[i], converting between storage types.</summary>
    public static void Convert<TS, CS, TD, CD>(ArrayView<TS> source, ArrayView<TD> destination, int count)
        where TS : unmanaged
        where CS : struct, IElementCodec<TS>
        where TD : unmanaged
        where CD : struct, IElementCodec<TD>
    {
        CS from = default;
        CD to = default;
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < count; i += stride)
            destination[i] = to.Encode(from.Decode(source[i]));
    }

    /// <summary>output[r, :] = source[indices[r], :]; an index outside the source writes a zero row.</summary>
    public static void GatherRows<TS, CS, TD, CD>(ArrayView<TS> source, ArrayView<int> indices, ArrayView<TD> output, int rows, int cols, int sourceRows)
        where TS : unmanaged
        where CS : struct, IElementCodec<TS>
        where TD : unmanaged
        where CD : struct, IElementCodec<TD>
    {
        CS from = default;
        CD to = default;
        int count = rows * cols;
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < count; i += stride)
        {
            int r = i / cols;
            int c = i - r * cols;
            int s = indices[r];
            float value = s >= 0 && s < sourceRows ? from.Decode(source[(long)s * cols + c]) : 0f;
            output[i] = to.Encode(value);
        }
    }

    /// <summary>
    /// destination[indices[r]] = round(scales[r] · source[r]) (+ destination[indices[r]] when accumulate is 1); one
    /// thread per element of source (indices are distinct). The product is rounded to T first, as torch's index_add_
    /// of a bf16 expert output times its bf16 weight.
    /// </summary>
    public static void ScatterScaledRows<T, C>(ArrayView<T> source, ArrayView<int> indices, ArrayView<float> scales, ArrayView<T> destination, int rows, int cols, int accumulate)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        int count = rows * cols;
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < count; i += stride)
        {
            int r = i / cols;
            int c = i - r * cols;
            long target = (long)indices[r] * cols + c;
            float product = codec.Decode(codec.Encode(scales[r] * codec.Decode(source[i])));
            destination[target] = codec.Encode(accumulate != 0 ? codec.Decode(destination[target]) + product : product);
        }
    }

    /// <summary>Cache rows at slots[r] receive key/value row r; a negative slot skips the row.</summary>
    public static void WriteKv<T, C>(ArrayView<T> keys, ArrayView<T> values, ArrayView<T> keyCache, ArrayView<T> valueCache, ArrayView<int> slots, int rows, int cols)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        int count = rows * cols;
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < count; i += stride)
        {
            int r = i / cols;
            int c = i - r * cols;
            int slot = slots[r];
            if (slot < 0)
                continue;
            long target = (long)slot * cols + c;
            keyCache[target] = keys[i];
            valueCache[target] = values[i];
        }
    }

    /// <summary>
    /// y = x · wᵀ with fp32 accumulation, one thread per output. Only for accelerators without cuBLAS (ILGPU's CPU
    /// accelerator in tests); the CUDA path always goes through cublasGemmEx.
    /// </summary>
    public static void NaiveMatMul<T, C>(ArrayView<T> x, ArrayView<T> weight, ArrayView<T> y, int rows, int inFeatures, int outFeatures)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        int count = rows * outFeatures;
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < count; i += stride)
        {
            int r = i / outFeatures;
            int o = i - r * outFeatures;
            float sum = 0f;
            for (int k = 0; k < inFeatures; k++)
                sum += codec.Decode(x[(long)r * inFeatures + k]) * codec.Decode(weight[(long)o * inFeatures + k]);
            y[i] = codec.Encode(sum);
        }
    }
}
