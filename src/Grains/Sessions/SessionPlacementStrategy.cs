using Orleans.Runtime;

namespace InferMesh.Grains.Sessions;

/// <summary>Places a new session on a silo that serves its model and has the most free KV blocks.</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class SessionPlacementStrategy : PlacementStrategy
{
    public static SessionPlacementStrategy Instance { get; } = new();
}
