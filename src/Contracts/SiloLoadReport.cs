namespace InferMesh.Contracts;

/// <summary>Everything one silo serves, with current load.</summary>
[GenerateSerializer, Immutable]
public sealed record SiloLoadReport([property: Id(0)] string Silo, [property: Id(1)] IReadOnlyList<ModelReplicaLoad> Replicas);
