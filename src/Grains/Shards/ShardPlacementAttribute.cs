using Orleans.Placement;

namespace InferMesh.Grains.Shards;

/// <summary>Marks a grain class as placed by <see cref="ShardPlacementDirector"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ShardPlacementAttribute() : PlacementAttribute(ShardPlacementStrategy.Instance);
