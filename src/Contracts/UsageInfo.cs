namespace InferMesh.Contracts;

/// <summary>
/// Token counts of one choice. <see cref="CachedPromptTokens"/> were not computed: they came from a resident session,
/// the prefix cache or a chunk cache; <see cref="ReusedChunkTokens"/> are the part placed from chunk caches.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record UsageInfo(
    [property: Id(0)] int PromptTokens,
    [property: Id(1)] int CompletionTokens,
    [property: Id(2)] int CachedPromptTokens,
    [property: Id(3)] int ReusedChunkTokens = 0);
