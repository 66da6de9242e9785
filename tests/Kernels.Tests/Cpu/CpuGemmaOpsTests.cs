using InferMesh.Kernels.Cpu;
using InferMesh.Kernels.Tests.Cuda;

namespace InferMesh.Kernels.Tests.Cpu;

/// <summary>The CPU backend's Gemma operations against their definitions in double (the CPU twins of the CUDA kernels).</summary>
public sealed class CpuGemmaOpsTests
{
    [Theory]
    [InlineData(1, 7)]
    [InlineData(3, 33)]
    [InlineData(2, 1000)]
    public void GeluTanhGlu_applies_torchs_tanh_gelu_to_the_gate_half_times_the_up_half(int rows, int cols)
    {
        using var backend = new CpuBackend(threads: 2);
        GemmaKernelChecks.GeluTanhGlu(backend, rows, cols, rows + cols);
    }

    [Fact]
    public void GeluTanh_is_the_tanh_approximation_not_the_exact_erf_gelu()
    {
        // At x = 1: tanh form 0.841192, erf form 0.841345 — the checks would not tell them apart at 1e-2, so pin one value.
        using var backend = new CpuBackend(threads: 1);
        using var gateUp = backend.Allocate(1, 2, DType.F32);
        using var output = backend.Allocate(1, 1, DType.F32);
        backend.Upload([1f, 1f], gateUp);
        backend.GeluTanhGlu(gateUp, output);
        var result = new float[1];
        backend.Download(output, result);
        Assert.Equal(0.841192f, result[0], 5e-6f);
    }

    [Fact]
    public void Scale_multiplies_every_element_in_place()
    {
        using var backend = new CpuBackend(threads: 2);
        GemmaKernelChecks.Scale(backend, 3, 40, 33.94112549695428f, 5);
    }

    [Fact]
    public void SoftCap_bounds_logits_by_the_cap_and_keeps_small_ones_nearly_unchanged()
    {
        using var backend = new CpuBackend(threads: 2);
        GemmaKernelChecks.SoftCap(backend, 2, 300, 30f, 6);
    }

    [Fact]
    public void SoftCap_refuses_a_cap_that_is_not_positive()
    {
        using var backend = new CpuBackend(threads: 1);
        using var x = backend.Allocate(1, 4, DType.F32);
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.SoftCap(x, 0f));
    }
}
