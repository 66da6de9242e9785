using InferMesh.Kernels.Cuda;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// One CUDA backend shared by every GPU test (kernels compile once). Where no GPU, driver or cuBLAS exists the
/// tests are skipped with the reason, never passed silently.
/// </summary>
public sealed class CudaDeviceFixture : IDisposable
{
    private readonly Lazy<CudaBackend> backend = new(() => new CudaBackend());
    private readonly Lazy<string?> unavailable = new(CudaBackend.UnavailableReason);

    public CudaBackend Require()
    {
        string? reason = unavailable.Value;
        Assert.SkipWhen(reason is not null, reason ?? string.Empty);
        return backend.Value;
    }

    public void Dispose()
    {
        if (backend.IsValueCreated)
            backend.Value.Dispose();
    }
}

[CollectionDefinition("Gpu")]
public sealed class GpuCollection : ICollectionFixture<CudaDeviceFixture>;
