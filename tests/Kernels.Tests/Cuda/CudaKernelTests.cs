using InferMesh.Kernels;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>Each CUDA kernel against the float64 reference on random bf16 inputs, odd sizes included.</summary>
[Trait("Category", "Gpu")]
[Collection("Gpu")]
public sealed class CudaKernelTests(CudaDeviceFixture device)
{
    [Theory]
    [InlineData(1, 7)]
    [InlineData(3, 33)]
    [InlineData(17, 129)]
    [InlineData(3, 4097)]
    [InlineData(64, 4096)]
    public void RmsNorm_matches_reference(int rows, int cols) => KernelChecks.RmsNorm(device.Require(), rows, cols, rows * 31 + cols);

    [Theory]
    [InlineData(1, 2048)]
    [InlineData(64, 4096)]
    [InlineData(7, 3000)]
    public void Fused_add_and_rms_norm_equal_the_separate_ops(int rows, int cols) => KernelChecks.AddRmsNorm(device.Require(), rows, cols, rows * 17 + cols);

    [Fact]
    public void Head_rms_norm_matches_reference() => KernelChecks.HeadRmsNorm(device.Require(), 37, 128, 16, 8, 5);

    [Theory]
    [InlineData(1, 7)]
    [InlineData(17, 129)]
    [InlineData(3, 4097)]
    public void Add_matches_reference(int rows, int cols) => KernelChecks.Add(device.Require(), rows, cols, rows + cols);

    [Theory]
    [InlineData(1, 7)]
    [InlineData(17, 33)]
    [InlineData(3, 14336)]
    public void SiluMul_matches_reference(int rows, int cols) => KernelChecks.SiluMul(device.Require(), rows, cols, rows * 7 + cols);

    [Theory]
    [InlineData(1, 33, 7, false, null)]
    [InlineData(3, 129, 4097, true, null)]
    [InlineData(17, 4097, 33, false, DType.F32)]
    [InlineData(1, 4096, 129, true, DType.F32)]
    [InlineData(64, 2048, 8192, false, null)]
    public void MatMul_through_cublas_matches_reference(int rows, int inFeatures, int outFeatures, bool bias, DType? output) =>
        KernelChecks.MatMul(device.Require(), rows, inFeatures, outFeatures, bias, output, rows + inFeatures + outFeatures);

    [Theory]
    [InlineData(1, 32, 64)]
    [InlineData(17, 8, 128)]
    [InlineData(3, 14, 64)]
    public void Rope_matches_reference_up_to_long_positions(int rows, int heads, int headDim) =>
        KernelChecks.Rope(device.Require(), rows, heads, headDim, 131_072, rows * heads + headDim);

    [Theory]
    [InlineData(1, 32, 8, 128)]
    [InlineData(17, 14, 2, 64)]
    [InlineData(3, 4, 4, 64)]
    public void RopeWriteQkv_rotates_packed_rows_into_queries_and_the_cache(int rows, int heads, int kvHeads, int headDim) =>
        KernelChecks.RopeWriteQkv(device.Require(), rows, heads, kvHeads, headDim, rows + heads + headDim);

    [Theory]
    [InlineData(1, 7)]
    [InlineData(17, 176)]
    [InlineData(3, 14336)]
    public void SwiGlu_matches_reference(int rows, int cols) => KernelChecks.SwiGlu(device.Require(), rows, cols, rows * 5 + cols);

    [Fact]
    public void Embedding_copies_table_rows_exactly() => KernelChecks.Embedding(device.Require(), 4097, 129, 17, 21);

    [Fact]
    public void GatherRows_copies_rows_exactly() => KernelChecks.GatherRows(device.Require(), 33, 4097, 3, 22);

    [Fact]
    public void WriteKv_writes_slots_and_skips_negative_ones() => KernelChecks.WriteKv(device.Require(), 17, 1024, 200, 23);

    [Theory]
    [InlineData(1, 7)]
    [InlineData(3, 4097)]
    [InlineData(17, 128_256)]
    public void Argmax_picks_lowest_index_among_ties(int rows, int cols) => KernelChecks.Argmax(device.Require(), rows, cols, rows + cols);

    [Theory]
    [InlineData(32, 8, 128, 0)]
    [InlineData(8, 1, 64, 0)]
    [InlineData(4, 4, 64, 33)]
    [InlineData(14, 2, 64, 0)]
    public void Decode_attention_matches_reference_with_shuffled_blocks(int heads, int kvHeads, int headDim, int window)
    {
        var shape = new AttentionShape(heads, kvHeads, headDim, 1 / MathF.Sqrt(headDim), window, 16);
        var layout = PagedLayout.Create([5, 17, 100, 513, 1], [1, 1, 1, 1, 1], 16, new Random(heads + headDim));
        KernelChecks.Attention(device.Require(), layout, shape, 31);
    }

    [Theory]
    [InlineData(4096, 0)]
    [InlineData(5000, 0)]
    [InlineData(9000, 4096)]
    public void Decode_attention_splits_long_contexts(int context, int window)
    {
        var shape = new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), window, 16);
        var layout = PagedLayout.Create([context, 300], [1, 1], 16, new Random(context));
        KernelChecks.Attention(device.Require(), layout, shape, 32);
    }

    [Fact]
    public void Prefill_attention_is_causal_over_one_long_prompt()
    {
        var shape = new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), 0, 16);
        KernelChecks.Attention(device.Require(), PagedLayout.Create([300], [300], 16, new Random(33)), shape, 33);
    }

    [Fact]
    public void Prefill_attention_handles_interleaved_sequences_and_sliding_window()
    {
        var shape = new AttentionShape(32, 8, 64, 1 / MathF.Sqrt(64), 16, 16);
        KernelChecks.Attention(device.Require(), PagedLayout.Create([40, 70, 9, 1], [12, 70, 1, 1], 16, new Random(34), shuffleRows: true), shape, 34);
    }

    [Fact]
    public void Prefill_attention_continues_a_chunk_after_a_cached_prefix()
    {
        var shape = new AttentionShape(14, 2, 64, 1 / MathF.Sqrt(64), 0, 16);
        KernelChecks.Attention(device.Require(), PagedLayout.Create([1000], [64], 16, new Random(35)), shape, 35);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(128)]
    public void Gemm_prefill_handles_a_long_run_beside_decode_rows(int window)
    {
        var shape = new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), window, 16);
        KernelChecks.Attention(device.Require(), PagedLayout.Create([700, 50, 3000, 1], [300, 1, 1, 1], 16, new Random(36 + window)), shape, 36);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(128)]
    public void Sparse_prefill_rows_at_scattered_positions_match_reference(int window)
    {
        var shape = new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), window, 16);
        KernelChecks.Attention(device.Require(), PagedLayout.CreateSparse([2600, 900], [700, 40], 16, new Random(38 + window)), shape, 38);
    }

    [Fact]
    public void Sparse_prefill_of_one_sequence_is_one_flash_launch_per_layer()
    {
        var backend = device.Require();
        long before = backend.FlashLaunches;
        var shape = new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), 0, 16);
        KernelChecks.Attention(backend, PagedLayout.CreateSparse([2600, 900, 300], [500, 1, 1], 16, new Random(39)), shape, 39);
        Assert.Equal(1, backend.FlashLaunches - before);
    }

    [Fact]
    public void Short_prefill_chunks_take_the_flash_kernel_when_the_layout_is_mirrored()
    {
        var backend = device.Require();
        long before = backend.FlashLaunches;
        var shape = new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), 0, 16);
        KernelChecks.Attention(backend, PagedLayout.Create([500, 40], [40, 1], 16, new Random(40)), shape, 40);
        Assert.Equal(1, backend.FlashLaunches - before);
    }

    [Fact]
    public void Gemm_prefill_splits_long_prompts_into_chunks()
    {
        var backend = device.Require();
        long budget = backend.ScoreBudgetFloats;
        backend.ScoreBudgetFloats = 8L * 2000 * 100;
        try
        {
            var shape = new AttentionShape(8, 2, 64, 0.125f, 0, 16);
            KernelChecks.Attention(backend, PagedLayout.Create([2000, 400], [600, 300], 16, new Random(37)), shape, 37);
        }
        finally
        {
            backend.ScoreBudgetFloats = budget;
        }
    }

    [Theory]
    [InlineData(20)]
    [InlineData(300)]
    public void Decoder_layer_matches_the_cpu_backend(int promptTokens) =>
        CpuOracleChecks.DecoderLayerMatchesCpu(device.Require(), promptTokens, promptTokens);

    [Theory]
    [InlineData(20)]
    [InlineData(300)]
    public void Decoder_layer_with_packed_projections_matches_the_cpu_backend(int promptTokens) =>
        CpuOracleChecks.DecoderLayerMatchesCpu(device.Require(), promptTokens, promptTokens, packed: true);
}
