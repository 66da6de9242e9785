using InferMesh.Kernels;
using InferMesh.Kernels.Cuda;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// The CUDA backend's ILGPU kernels run on ILGPU's CPU accelerator (a simulated GPU with 32-lane warps), so kernel
/// logic is checked on machines without a GPU. Small sizes: the simulation is slow. cuBLAS is not involved here
/// (linear layers use a naive kernel on the simulated device). Run for bf16 activations and for fp32 ones (each kernel
/// instantiated for the F32 codec), with the tolerance of the type.
/// </summary>
[Trait("Category", "GpuSimulated")]
public abstract class SimulatedDeviceKernelTests(DType activationType) : IDisposable
{
    private readonly CudaBackend backend = new(activationType);

    public void Dispose()
    {
        backend.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void RmsNorm_matches_reference_on_odd_rows_and_columns()
    {
        KernelChecks.RmsNorm(backend, 3, 33, 1);
        KernelChecks.RmsNorm(backend, 1, 129, 2);
    }

    [Fact]
    public void Fused_add_and_rms_norm_equal_the_separate_ops()
    {
        KernelChecks.AddRmsNorm(backend, 3, 33, 21);
        KernelChecks.AddRmsNorm(backend, 1, 129, 22);
    }

    [Fact]
    public void Head_rms_norm_normalises_query_and_key_heads_and_leaves_values()
    {
        KernelChecks.HeadRmsNorm(backend, 3, 64, 4, 2, 11);
        KernelChecks.HeadRmsNorm(backend, 1, 40, 2, 1, 12);
    }

    [Fact]
    public void Elementwise_kernels_match_reference()
    {
        KernelChecks.Add(backend, 3, 7, 3);
        KernelChecks.SiluMul(backend, 3, 33, 4);
    }

    [Fact]
    public void Rope_rotates_heads_at_large_positions()
    {
        KernelChecks.Rope(backend, 3, 2, 64, 100_000, 5);
    }

    [Fact]
    public void Expert_outputs_are_scaled_and_added_to_their_rows()
    {
        KernelChecks.ScatterScaledRows(backend, 5, 13, 24, 18, accumulate: true);
        KernelChecks.ScatterScaledRows(backend, 4, 9, 16, 20, accumulate: false);
    }

    [Fact]
    public void Partial_rotary_rotates_only_the_leading_values_of_each_head()
    {
        KernelChecks.Rope(backend, 3, 2, 64, 100_000, 6, rotaryDim: 48);
        KernelChecks.RopeWriteQkv(backend, 5, 4, 2, 32, 16, rotaryDim: 24);
    }

    [Fact]
    public void Packed_qkv_is_rotated_and_written_to_the_cache()
    {
        KernelChecks.RopeWriteQkv(backend, 5, 4, 2, 32, 15);
    }

    [Fact]
    public void SwiGlu_reads_gate_and_up_halves()
    {
        KernelChecks.SwiGlu(backend, 3, 33, 16);
    }

    [Fact]
    public void Embedding_gather_and_kv_writes_copy_exactly()
    {
        KernelChecks.Embedding(backend, 17, 33, 3, 6);
        KernelChecks.GatherRows(backend, 5, 7, 3, 7);
        KernelChecks.WriteKv(backend, 3, 16, 9, 8);
    }

    [Fact]
    public void Argmax_picks_lowest_index_among_ties()
    {
        KernelChecks.Argmax(backend, 3, 129, 9);
    }

    [Fact]
    public void MatMul_naive_kernel_matches_reference()
    {
        KernelChecks.MatMul(backend, 3, 33, 7, withBias: true, outputType: null, seed: 10);
    }

    [Fact]
    public void Decode_attention_handles_gqa_and_split_k()
    {
        var shape = new AttentionShape(4, 2, 32, 1 / MathF.Sqrt(32), 0, 16);
        KernelChecks.Attention(backend, PagedLayout.Create([300, 5, 40], [1, 1, 1], 16, new Random(11)), shape, 12);
    }

    [Fact]
    public void Prefill_attention_handles_mixed_sequences_and_sliding_window()
    {
        var shape = new AttentionShape(4, 2, 32, 1 / MathF.Sqrt(32), 7, 16);
        KernelChecks.Attention(backend, PagedLayout.Create([40, 9], [12, 9], 16, new Random(13), shuffleRows: true), shape, 14);
    }

    [Fact]
    public void Decoder_layer_with_packed_projections_matches_the_cpu_backend()
    {
        CpuOracleChecks.DecoderLayerMatchesCpu(backend, 20, 15, packed: true);
    }
}
