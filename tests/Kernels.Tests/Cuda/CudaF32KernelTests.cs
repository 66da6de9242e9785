using InferMesh.Kernels;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// fp32 mode: every kernel instantiated for fp32 activations and KV, against the float64 reference at fp32 tolerance
/// (which a TF32 GEMM would fail), and whole decoder layers against the CPU backend at fp32 tolerance.
/// </summary>
[Trait("Category", "Gpu")]
[Collection("Gpu")]
public sealed class CudaF32KernelTests(CudaDeviceFixture device)
{
    [Fact]
    public void Backend_stores_activations_cache_and_widened_weights_in_fp32()
    {
        var backend = device.RequireF32();
        Assert.Equal(DType.F32, backend.ActivationType);
        Assert.Equal(DType.F32, backend.CacheType);
        using var weight = backend.LoadWeight(KernelChecks.Bf16Bytes([1.5f, -2.25f]), DType.BF16, 1, 2);
        Assert.Equal(DType.F32, weight.DType);
        Assert.Equal([1.5f, -2.25f], TestTensors.Download(backend, weight));
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(17, 129)]
    [InlineData(3, 4097)]
    public void Row_kernels_match_reference(int rows, int cols)
    {
        var backend = device.RequireF32();
        KernelChecks.RmsNorm(backend, rows, cols, rows * 31 + cols);
        KernelChecks.Add(backend, rows, cols, rows + cols);
        KernelChecks.SiluMul(backend, rows, cols, rows * 7 + cols);
        KernelChecks.SwiGlu(backend, rows, cols, rows * 5 + cols);
        KernelChecks.Argmax(backend, rows, cols, rows + cols);
    }

    [Theory]
    [InlineData(1, 33, 7, false)]
    [InlineData(3, 129, 4097, true)]
    [InlineData(17, 4097, 33, false)]
    [InlineData(64, 2048, 8192, true)]
    public void MatMul_is_true_fp32_not_tf32(int rows, int inFeatures, int outFeatures, bool bias) =>
        KernelChecks.MatMul(device.RequireF32(), rows, inFeatures, outFeatures, bias, null, rows + inFeatures + outFeatures);

    [Theory]
    [InlineData(1, 32, 8, 128)]
    [InlineData(17, 14, 2, 64)]
    public void Rope_and_packed_rope_match_reference(int rows, int heads, int kvHeads, int headDim)
    {
        var backend = device.RequireF32();
        KernelChecks.Rope(backend, rows, heads, headDim, 131_072, rows * heads + headDim);
        KernelChecks.RopeWriteQkv(backend, rows, heads, kvHeads, headDim, rows + heads + headDim);
        KernelChecks.WriteKv(backend, rows, kvHeads * headDim, 200, 23);
    }

    [Theory]
    [InlineData(32, 8, 128, 0)]
    [InlineData(4, 4, 64, 33)]
    [InlineData(14, 2, 64, 0)]
    public void Decode_attention_matches_reference(int heads, int kvHeads, int headDim, int window)
    {
        var shape = new AttentionShape(heads, kvHeads, headDim, 1 / MathF.Sqrt(headDim), window, 16);
        KernelChecks.Attention(device.RequireF32(), PagedLayout.Create([5, 17, 100, 513, 5000], [1, 1, 1, 1, 1], 16, new Random(heads + headDim)), shape, 31);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    public void Tiled_prefill_attention_matches_reference(int window)
    {
        var shape = new AttentionShape(32, 8, 64, 1 / MathF.Sqrt(64), window, 16);
        KernelChecks.Attention(device.RequireF32(), PagedLayout.Create([40, 70, 9, 1], [12, 70, 1, 1], 16, new Random(34), shuffleRows: true), shape, 34);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(128)]
    public void Gemm_prefill_attention_matches_reference(int window)
    {
        var shape = new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), window, 16);
        KernelChecks.Attention(device.RequireF32(), PagedLayout.Create([700, 50, 3000, 1], [300, 1, 1, 1], 16, new Random(36 + window)), shape, 36);
    }

    [Theory]
    [InlineData(20, false)]
    [InlineData(20, true)]
    [InlineData(300, true)]
    public void Decoder_layer_matches_the_cpu_backend_at_fp32_tolerance(int promptTokens, bool packed) =>
        CpuOracleChecks.DecoderLayerMatchesCpu(device.RequireF32(), promptTokens, promptTokens, packed);
}
