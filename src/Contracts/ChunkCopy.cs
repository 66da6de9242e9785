namespace InferMesh.Contracts;

/// <summary>A chunk's KV as one engine (a model replica on one device of one silo) holds it: its variants, possibly none.</summary>
[GenerateSerializer, Immutable]
public sealed record ChunkCopy
{
    [Id(0)] public required string Silo { get; init; }

    [Id(1)] public required string Device { get; init; }

    /// <summary>The engine's shard grain key (see <see cref="ModelShardKey"/>); <see cref="IChunkReplicaGrain"/> is keyed by it too.</summary>
    [Id(2)] public required string ShardKey { get; init; }

    /// <summary>The engine's own key of the chunk (a hash of namespace, model and token ids).</summary>
    [Id(3)] public ulong EngineKey { get; init; }

    /// <summary>The variants the engine holds; empty once it holds none (evicted or removed).</summary>
    [Id(4)] public IReadOnlyList<ChunkVariantInfo> Variants { get; init; } = [];
}
