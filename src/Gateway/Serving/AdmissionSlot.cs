using System.Threading.RateLimiting;
using InferMesh.ServiceDefaults;

namespace InferMesh.Gateway.Serving;

/// <summary>A generation slot held from <see cref="Admission"/>; disposing it lets the next queued request in.</summary>
public sealed class AdmissionSlot(RateLimitLease lease, InferMeshMetrics metrics) : IDisposable
{
    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            metrics.RequestsRunning.Add(-1);
            lease.Dispose();
        }
    }
}
