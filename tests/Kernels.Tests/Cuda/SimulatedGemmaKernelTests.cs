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
    public void Attention_with_a_soft_cap_is_refused_not_computed_without_it()
    {
        var shape = new AttentionShape(2, 1, 16, 0.25f, 0, 16, SoftCap: 50f);
        Assert.False(backend.SupportsAttention(shape));
        Assert.True(backend.SupportsAttention(shape with { SoftCap = 0 }));
    }
}

/// <summary>Gemma kernels with bf16 activations.</summary>
[Collection("GpuSimulated")]
public sealed class SimulatedBf16GemmaKernelTests() : SimulatedGemmaKernelTests(DType.BF16);

/// <summary>Gemma kernels with fp32 activations.</summary>
[Collection("GpuSimulated")]
public sealed class SimulatedF32GemmaKernelTests() : SimulatedGemmaKernelTests(DType.F32);
