using InferMesh.Contracts;
using Orleans.Concurrency;

namespace InferMesh.Grains.Directory;

/// <summary>
/// In-memory directory of every silo's replicas. It keeps no storage on purpose: if its silo dies it re-activates
/// elsewhere empty and is whole again after one report interval. Entries are stamped with this grain's clock on
/// arrival, so silo clock skew does not matter.
/// </summary>
[Reentrant]
public sealed class ClusterDirectoryGrain : Grain, IClusterDirectoryGrain
{
    private readonly Dictionary<string, SiloLoadReport> _bySilo = new(StringComparer.Ordinal);

    public Task Report(SiloLoadReport report)
    {
        var now = DateTimeOffset.UtcNow;
        _bySilo[report.Silo] = report with { Replicas = [.. report.Replicas.Select(r => r with { ReportedAt = now })] };
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ModelReplicaLoad>> GetReplicas()
    {
        var cutoff = DateTimeOffset.UtcNow - ModelReplicaLoad.StaleAfter;
        var result = new List<ModelReplicaLoad>();
        foreach (var (silo, report) in _bySilo.ToArray())
        {
            if (report.Replicas.Count > 0 && report.Replicas[0].ReportedAt < cutoff)
            {
                _bySilo.Remove(silo);
                continue;
            }

            result.AddRange(report.Replicas);
        }

        return Task.FromResult<IReadOnlyList<ModelReplicaLoad>>(result);
    }
}
