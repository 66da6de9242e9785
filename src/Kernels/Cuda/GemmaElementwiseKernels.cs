using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// The element-parallel kernels Gemma needs beyond the Llama family's (grid-stride loops like
/// <see cref="ElementwiseKernels"/>): the GELU(tanh)-gated MLP activation, the embedding scale and the logit soft cap.
/// CPU twins: CpuRowOps.GeluTanhGlu, Scale, SoftCap.
/// </summary>
internal static class GemmaElementwiseKernels
{
    /// <summary>√(2/π), torch's kBeta for gelu(approximate="tanh").</summary>
    private const float Beta = 0.7978845608028654f;

    private const float Kappa = 0.044715f;

    /// <summary>
    /// output[r, c] = gelu_tanh(gateUp[r, c]) · gateUp[r, cols + c]. 0.5·g·(1 + tanh(u)) is computed as g·σ(2u)
    /// (the same function: 1 + tanh(u) = 2σ(2u)) so it needs only the device exp.
    /// </summary>
    public static void GeluTanhGlu<T, C>(ArrayView<T> gateUp, ArrayView<T> output, int rows, int cols)
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
            float u = Beta * (g + Kappa * g * g * g);
            float gelu = g / (1f + DeviceMath.Exp(-2f * u));
            output[i] = codec.Encode(gelu * codec.Decode(gateUp[gate + cols]));
        }
    }

    /// <summary>x[i] *= factor.</summary>
    public static void Scale<T, C>(ArrayView<T> x, int count, float factor)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < count; i += stride)
            x[i] = codec.Encode(codec.Decode(x[i]) * factor);
    }

    /// <summary>x[i] = tanh(x[i] / cap) · cap.</summary>
    public static void SoftCap<T, C>(ArrayView<T> x, int count, float cap)
        where T : unmanaged
        where C : struct, IElementCodec<T>
    {
        C codec = default;
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < count; i += stride)
            x[i] = codec.Encode(DeviceMath.SoftCap(codec.Decode(x[i]), cap));
    }
}
