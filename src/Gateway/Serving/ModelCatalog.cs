using System.Diagnostics;
using InferMesh.Contracts;
using InferMesh.Gateway.Errors;

namespace InferMesh.Gateway.Serving;

/// <summary>The models the cluster serves, from the cluster directory, cached for a second (and kept while the directory is briefly unreachable).</summary>
public sealed class ModelCatalog(IGrainFactory grains)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private IReadOnlyList<ModelReplicaLoad> _replicas = [];
    private long _fetchedAt = long.MinValue;

    public async Task<IReadOnlyList<ModelReplicaLoad>> ReplicasAsync(CancellationToken cancellationToken, bool fresh = false)
    {
        var maxAge = fresh ? TimeSpan.FromMilliseconds(100) : CacheFor;
        if (IsFresh(Volatile.Read(ref _fetchedAt), maxAge))
        {
            return _replicas;
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (!IsFresh(_fetchedAt, maxAge))
            {
                try
                {
                    _replicas = await grains.GetGrain<IClusterDirectoryGrain>(0).GetReplicas().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
                    Volatile.Write(ref _fetchedAt, Stopwatch.GetTimestamp());
                }
                catch (Exception ex) when (_fetchedAt != long.MinValue && ClusterErrors.IsTransient(ex))
                {
                    // The directory's silo just died and the cluster has not noticed yet: the last list is still the
                    // best answer (a stale replica only costs the session call a retry).
                }
            }

            return _replicas;
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>True when some live silo serves the model (asking the directory again before saying no).</summary>
    public async Task<bool> ServesAsync(string model, CancellationToken cancellationToken) =>
        Serves(await ReplicasAsync(cancellationToken), model) || Serves(await ReplicasAsync(cancellationToken, fresh: true), model);

    private static bool Serves(IReadOnlyList<ModelReplicaLoad> replicas, string model)
    {
        foreach (var replica in replicas)
        {
            if (string.Equals(replica.Model, model, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsFresh(long fetchedAt, TimeSpan maxAge) => fetchedAt != long.MinValue && Stopwatch.GetElapsedTime(fetchedAt) < maxAge;
}
