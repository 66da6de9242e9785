using Orleans.Runtime;

namespace InferMesh.Grains.Shards;

/// <summary>Places a model shard grain on the silo named in its key, and nowhere else.</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class ShardPlacementStrategy : PlacementStrategy
{
    public static ShardPlacementStrategy Instance { get; } = new();
}
