namespace InferMesh.Kernels.Cuda;

/// <summary>The operations Gemma adds (GELU(tanh)-gated MLP, embedding scale, logit soft cap) and its attention limits.</summary>
public sealed partial class CudaBackend
{
    public void GeluTanhGlu(DeviceTensor gateUp, DeviceTensor output)
    {
        Enter();
        var g = Float(gateUp, nameof(gateUp));
        var result = Float(output, nameof(output));
        if (g.Rows != result.Rows || g.Cols != 2 * result.Cols)
            throw new ArgumentException($"gateUp {g} must be [{result.Rows}x{2 * result.Cols}]: gate then up, each as wide as output {result}.", nameof(gateUp));
        if (result.ElementCount == 0)
            return;
        DType type = result.DType;
        Kernels(type).GeluTanhGlu(stream, As(g, type, SlotInputA), result);
    }

    public void Scale(DeviceTensor x, float factor)
    {
        Enter();
        var values = Float(x, nameof(x));
        if (values.ElementCount == 0)
            return;
        Kernels(values.DType).Scale(stream, values, factor);
    }

    public void SoftCap(DeviceTensor x, float cap)
    {
        Enter();
        if (!(cap > 0))
            throw new ArgumentOutOfRangeException(nameof(cap), cap, "the soft cap must be positive.");
        var values = Float(x, nameof(x));
        if (values.ElementCount == 0)
            return;
        Kernels(values.DType).SoftCap(stream, values, cap);
    }

    /// <summary>
    /// Paged attention runs every shape: soft-capped ones (Gemma 2) go to the ILGPU decode and prefill kernels, which
    /// cap the scaled scores; the CUDA C flash/decode kernels and the cuBLAS prefill path have no cap and are skipped.
    /// </summary>
    public bool SupportsAttention(AttentionShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return true;
    }

    /// <summary>Block attention (TokenRing's ring steps) has no soft cap on CUDA.</summary>
    public bool SupportsBlockAttention(AttentionShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape.SoftCap == 0;
    }

    /// <summary>Block attention (TokenRing's ring steps) has no soft cap on CUDA; RingMember checks <see cref="SupportsBlockAttention"/> before reaching it.</summary>
    private static void RefuseUnsupported(AttentionShape shape)
    {
        if (shape.SoftCap != 0)
            throw new NotSupportedException($"Attention logit soft capping ({shape.SoftCap}, Gemma 2's attn_logit_softcapping) is not implemented in the CUDA block attention kernel (TokenRing prefill); prefill this model on one device.");
    }
}
