namespace InferMesh.Contracts;

/// <summary>
/// One stored computation of a chunk in one engine (Cache-Craft keeps a few per chunk, computed in different contexts).
/// </summary>
/// <param name="VariantId">The variant's number in its engine (tells variants of one chunk apart).</param>
/// <param name="Position">Position of the chunk's first token when its KV was computed.</param>
/// <param name="Tokens">Tokens of the chunk.</param>
/// <param name="Tier">Where the KV is now.</param>
/// <param name="ContextId">Identity (a hash) of the segments that preceded the chunk then: equal ids, same context.</param>
/// <param name="PrecedingChunks">Ids of the chunks among those preceding segments that this silo could name, in order.</param>
/// <param name="Hits">Times the engine reused this variant.</param>
[GenerateSerializer, Immutable]
public sealed record ChunkVariantInfo(
    [property: Id(0)] long VariantId,
    [property: Id(1)] int Position,
    [property: Id(2)] int Tokens,
    [property: Id(3)] ChunkCacheTier Tier,
    [property: Id(4)] ulong ContextId,
    [property: Id(5)] IReadOnlyList<string> PrecedingChunks,
    [property: Id(6)] long Hits);
