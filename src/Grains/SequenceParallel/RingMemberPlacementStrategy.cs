using Orleans.Runtime;

namespace InferMesh.Grains.SequenceParallel;

/// <summary>Places a ring member grain on the silo of the shard named in its key.</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class RingMemberPlacementStrategy : PlacementStrategy
{
    public static RingMemberPlacementStrategy Instance { get; } = new();
}
