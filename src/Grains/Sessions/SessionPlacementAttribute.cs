using Orleans.Placement;

namespace InferMesh.Grains.Sessions;

/// <summary>Marks a grain class as placed by <see cref="SessionPlacementDirector"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SessionPlacementAttribute() : PlacementAttribute(SessionPlacementStrategy.Instance);
