using InferMesh.Contracts;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace InferMesh.Grains.SequenceParallel;

/// <summary>
/// Puts a ring member where its engine is: the silo named by the shard key inside its grain key. A silo that is no
/// longer in the cluster (dead, or never was) is refused with a clear error, which fails the ring at once.
/// </summary>
public sealed class RingMemberPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var (_, index, shard) = RingMemberKey.Parse(target.GrainIdentity.Key.ToString()!);
        foreach (var silo in context.GetCompatibleSilos(target))
        {
            if (string.Equals(silo.ToParsableString(), shard.Silo, StringComparison.Ordinal))
            {
                return Task.FromResult(silo);
            }
        }

        throw new InferenceException(InferenceErrorKind.Unavailable, $"ring member {index}: silo {shard.Silo} that holds shard '{shard}' is not in the cluster (any more)");
    }
}
