using ILGPU;
using ILGPU.Runtime.Cuda;
using InferMesh.Kernels;
using InferMesh.Kernels.Cuda;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// One CUDA backend shared by every GPU test (kernels compile once), plus on demand an fp32 and an fp16 backend, a
/// second bf16 backend on the same GPU (another context, as a second ring member sharing the GPU gets) and one on the
/// next GPU. Where no GPU, driver or cuBLAS exists the tests are skipped with the reason, never passed silently.
/// </summary>
public sealed class CudaDeviceFixture : IDisposable
{
    private readonly Lazy<CudaBackend> backend = new(() => new CudaBackend());
    private readonly Lazy<CudaBackend> f32Backend = new(() => new CudaBackend(0, DType.F32));
    private readonly Lazy<CudaBackend> f16 = new(() => new CudaBackend(0, DType.F16));
    private readonly Lazy<CudaBackend> sameGpu = new(() => new CudaBackend());
    private readonly Lazy<CudaBackend?> otherGpu = new(() => GpuCount() > 1 ? new CudaBackend(1) : null);
    private readonly Lazy<string?> unavailable = new(CudaBackend.UnavailableReason);

    /// <summary>The bf16 backend (the default activation type).</summary>
    public CudaBackend Require() => Available(backend);

    /// <summary>A second backend on the same GPU with fp32 activations and KV (fp32 mode).</summary>
    public CudaBackend RequireF32() => Available(f32Backend);

    public CudaBackend RequireF16() => Available(f16);

    /// <summary>A second backend on GPU 0: its own context and streams beside <see cref="Require"/>'s.</summary>
    public CudaBackend RequireSecondContext() => Available(sameGpu);

    /// <summary>A backend on GPU 1; skipped on machines with one GPU.</summary>
    public CudaBackend RequireOtherGpu()
    {
        Require();
        Assert.SkipWhen(otherGpu.Value is null, "one GPU on this machine: the two-GPU peer copy needs cuda:1");
        return otherGpu.Value!;
    }

    public void Dispose()
    {
        if (otherGpu.IsValueCreated)
            otherGpu.Value?.Dispose();
        foreach (var lazy in new[] { sameGpu, f16, f32Backend, backend })
        {
            if (lazy.IsValueCreated)
                lazy.Value.Dispose();
        }
    }

    private CudaBackend Available(Lazy<CudaBackend> lazy)
    {
        string? reason = unavailable.Value;
        Assert.SkipWhen(reason is not null, reason ?? string.Empty);
        return lazy.Value;
    }

    private static int GpuCount()
    {
        using var context = Context.Create(builder => builder.Cuda());
        return context.GetCudaDevices().Count;
    }
}

[CollectionDefinition("Gpu")]
public sealed class GpuCollection : ICollectionFixture<CudaDeviceFixture>;
