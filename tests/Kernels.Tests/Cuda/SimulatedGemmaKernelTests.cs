using InferMesh.Kernels;
using InferMesh.Kernels.Cuda;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// The CUDA backend's Gemma kernels (GemmaElementwiseKernels) on ILGPU's CPU accelerator, against the same double
/// formulas as their CPU twins (CpuGemmaOpsTests), for bf16 and fp32 activations.
/// </summary>
[Trait("Category", "GpuSimulated")]
public abstract class SimulatedGemmaKernelTests(DType activationType) : IDisposable
{
    private readonly CudaBackend backend = new(activationType);

    public void Dispose()
    {
        backend.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void GeluTanhGlu_reads_gate_and_up_halves()
    {
        GemmaKernelChecks.GeluTanhGlu(backend, 3, 33, 16);
        GemmaKernelChecks.GeluTanhGlu(backend, 1, 7, 17);
    }

    [Fact]
    public void Scale_multiplies_in_place()
    {
        GemmaKernelChecks.Scale(backend, 3, 33, 34f, 18);
    }

    [Fact]
    public void SoftCap_bounds_f32_logits()
    {
        GemmaKernelChecks.SoftCap(backend, 2, 129, 30f, 19);
    }

    [Fact]
    public void Decode_and_prefill_attention_run_at_gemmas_head_dim_of_256()
    {
        // The CUDA C flash/decode kernels take head_dim 64 or 128; Gemma's 256 goes to the ILGPU kernels.
        var shape = new AttentionShape(4, 1, 256, 0.0625f, 0, 16);
        KernelChecks.Attention(backend, PagedLayout.Create([40, 9], [1, 1], 16, new Random(21)), shape, 22);
        KernelChecks.Attention(backend, PagedLayout.Create([40, 9], [12, 9], 16, new Random(23), shuffleRows: true), shape with { SlidingWindow = 8 }, 24);
    }

    [Fact]
    public void Decode_and_prefill_attention_cap_the_scaled_scores()
    {
        // A cap of 2 bends scores of q·k/√d ≈ ±3 hard, so a kernel that ignored it would miss by far more than tolerance.
        var shape = new AttentionShape(4, 2, 16, 0.25f, 0, 16, SoftCap: 2f);
        Assert.True(backend.SupportsAttention(shape));
        KernelChecks.Attention(backend, PagedLayout.Create([40, 9], [1, 1], 16, new Random(25)), shape, 26);
        KernelChecks.Attention(backend, PagedLayout.Create([40, 9], [12, 9], 16, new Random(27), shuffleRows: true), shape, 28);
        KernelChecks.Attention(backend, PagedLayout.Create([300, 5], [1, 1], 16, new Random(29)), shape with { SlidingWindow = 64 }, 30);
    }
}

/// <summary>Gemma kernels with bf16 activations.</summary>
[Collection("GpuSimulated")]
public sealed class SimulatedBf16GemmaKernelTests() : SimulatedGemmaKernelTests(DType.BF16);

/// <summary>Gemma kernels with fp32 activations.</summary>
[Collection("GpuSimulated")]
public sealed class SimulatedF32GemmaKernelTests() : SimulatedGemmaKernelTests(DType.F32);
