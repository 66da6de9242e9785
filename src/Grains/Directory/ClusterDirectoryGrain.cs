using InferMesh.Contracts;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace InferMesh.Grains.Directory;

/// <summary>
/// In-memory directory of every silo's replicas. It keeps no storage on purpose: if its silo dies it re-activates
/// elsewhere empty and is whole again after one report interval. Entries are stamped with this grain's clock on
/// arrival, so silo clock skew does not matter. Silos the cluster has declared dead are left out at once, so callers
/// (the gateway's failover watch) learn of a death as soon as the membership does.
/// </summary>
[Reentrant]
public sealed class ClusterDirectoryGrain(IClusterMembershipService membership) : Grain, IClusterDirectoryGrain
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
        var members = membership.CurrentSnapshot;
        foreach (var (silo, report) in _bySilo.ToArray())
        {
            if ((report.Replicas.Count > 0 && report.Replicas[0].ReportedAt < cutoff)
                || members.GetSiloStatus(SiloAddress.FromParsableString(silo)) is SiloStatus.Dead)
            {
                _bySilo.Remove(silo);
                continue;
            }

            result.AddRange(report.Replicas);
        }

        return Task.FromResult<IReadOnlyList<ModelReplicaLoad>>(result);
    }
}
