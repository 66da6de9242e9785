using InferMesh.Kernels;
using InferMesh.Kernels.Cuda;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// One CUDA backend shared by every GPU test (kernels compile once). Where no GPU, driver or cuBLAS exists the
/// tests are skipped with the reason, never passed silently.
/// </summary>
public sealed class CudaDeviceFixture : IDisposable
{
    private readonly Lazy<CudaBackend> backend = new(() => new CudaBackend());
    private readonly Lazy<CudaBackend> f32Backend = new(() => new CudaBackend(0, DType.F32));
    private readonly Lazy<string?> unavailable = new(CudaBackend.UnavailableReason);

    /// <summary>The bf16 backend (the default activation type).</summary>
    public CudaBackend Require() => Available(backend);

    /// <summary>A second backend on the same GPU with fp32 activations and KV (fp32 mode).</summary>
    public CudaBackend RequireF32() => Available(f32Backend);

    public void Dispose()
    {
        if (backend.IsValueCreated)
            backend.Value.Dispose();
        if (f32Backend.IsValueCreated)
            f32Backend.Value.Dispose();
    }

    private CudaBackend Available(Lazy<CudaBackend> lazy)
    {
        string? reason = unavailable.Value;
        Assert.SkipWhen(reason is not null, reason ?? string.Empty);
        return lazy.Value;
    }
}

[CollectionDefinition("Gpu")]
public sealed class GpuCollection : ICollectionFixture<CudaDeviceFixture>;
