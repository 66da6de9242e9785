namespace InferMesh.Gateway.Serving;

/// <summary>A chat request's documents as texts, and the routing hint (<see cref="Contracts.ChunkAffinity"/>) when some silo holds some of them.</summary>
public sealed record ResolvedDocuments(IReadOnlyList<string> Texts, string? Affinity)
{
    public static ResolvedDocuments None { get; } = new([], null);
}
