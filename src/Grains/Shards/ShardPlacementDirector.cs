using InferMesh.Contracts;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace InferMesh.Grains.Shards;

/// <summary>
/// Reads the silo out of a shard grain's key (<c>model/layers a-b/silo/device</c>) and places the grain there: the
/// weights and KV pool live in that process, so the grain must not activate anywhere else. A key naming a silo that
/// is no longer in the cluster is refused.
/// </summary>
public sealed class ShardPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = ModelShardKey.Parse(target.GrainIdentity.Key.ToString()!);
        foreach (var silo in context.GetCompatibleSilos(target))
        {
            if (string.Equals(silo.ToParsableString(), key.Silo, StringComparison.Ordinal))
            {
                return Task.FromResult(silo);
            }
        }

        throw new InferenceException(InferenceErrorKind.Unavailable, $"silo {key.Silo} that holds shard '{key}' is not in the cluster (any more)");
    }
}
