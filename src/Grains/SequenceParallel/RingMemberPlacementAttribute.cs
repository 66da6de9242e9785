using Orleans.Placement;

namespace InferMesh.Grains.SequenceParallel;

/// <summary>Marks a grain class as placed by <see cref="RingMemberPlacementDirector"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class RingMemberPlacementAttribute() : PlacementAttribute(RingMemberPlacementStrategy.Instance);
