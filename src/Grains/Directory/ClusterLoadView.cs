using InferMesh.Contracts;

namespace InferMesh.Grains.Directory;

/// <summary>
/// This silo's copy of the cluster directory, refreshed every report interval by <see cref="LoadReporter"/>, so
/// placement decides without a grain call. Placements made since the last refresh are counted per silo and charged
/// against that silo's free blocks.
/// </summary>
public sealed class ClusterLoadView
{
    private readonly Lock _gate = new();
    private IReadOnlyList<ModelReplicaLoad> _replicas = [];
    private Dictionary<string, int> _placedSinceRefresh = new(StringComparer.Ordinal);

    public IReadOnlyList<ModelReplicaLoad> Replicas => Volatile.Read(ref _replicas);

    public void Update(IReadOnlyList<ModelReplicaLoad> replicas)
    {
        lock (_gate)
        {
            Volatile.Write(ref _replicas, replicas);
            _placedSinceRefresh = new Dictionary<string, int>(StringComparer.Ordinal);
        }
    }

    public void NotePlacement(string silo)
    {
        lock (_gate)
        {
            _placedSinceRefresh[silo] = _placedSinceRefresh.GetValueOrDefault(silo) + 1;
        }
    }

    public int PlacedSinceRefresh(string silo)
    {
        lock (_gate)
        {
            return _placedSinceRefresh.GetValueOrDefault(silo);
        }
    }
}
