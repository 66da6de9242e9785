namespace InferMesh.Contracts;

/// <summary>Token ids to continue, with validated options and a resolved token budget.</summary>
[GenerateSerializer, Immutable]
public sealed record ShardGenerationRequest
{
    [Id(0)] public required IReadOnlyList<int> PromptTokenIds { get; init; }

    [Id(1)] public GenerationOptions Options { get; init; } = new();

    [Id(2)] public required int MaxTokens { get; init; }

    /// <summary>When set, the engine keeps this sequence's KV for the next turn of the session.</summary>
    [Id(3)] public string? SessionKey { get; init; }

    /// <summary>Cache namespace (see <see cref="CacheNamespaces"/>): prefix and chunk caches are shared only within it.</summary>
    [Id(4)] public string CacheNamespace { get; init; } = "";

    /// <summary>The prompt's structure at document boundaries (lengths sum to the prompt's), or null for plain text.</summary>
    [Id(5)] public IReadOnlyList<PromptSpan>? Segments { get; init; }

    /// <summary>When set, the engine starts from the KV a prefill ring imported under this key (see <see cref="IPrefillRingGrain"/>).</summary>
    [Id(6)] public string? ImportedPrefixKey { get; init; }
}
