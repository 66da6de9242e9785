namespace InferMesh.Contracts;

/// <summary>One engine step of a sequence, as it crosses a grain call (the engine's TokenEvent).</summary>
[GenerateSerializer, Immutable]
public sealed record ShardTokenEvent
{
    [Id(0)] public int TokenId { get; init; } = -1;

    [Id(1)] public string TextDelta { get; init; } = "";

    /// <summary>Log-probability of <see cref="TokenId"/> when logprobs were asked for.</summary>
    [Id(2)] public float? Logprob { get; init; }

    [Id(3)] public IReadOnlyList<int> TopTokenIds { get; init; } = [];

    [Id(4)] public IReadOnlyList<float> TopLogprobs { get; init; } = [];

    /// <summary>OpenAI finish reason ("stop", "length") on the last event, else null.</summary>
    [Id(5)] public string? FinishReason { get; init; }

    [Id(6)] public int PromptTokens { get; init; }

    [Id(7)] public int CachedPromptTokens { get; init; }

    [Id(8)] public int CompletionTokens { get; init; }

    /// <summary>Of <see cref="CachedPromptTokens"/>, those placed from chunk caches (not recomputed).</summary>
    [Id(9)] public int ReusedChunkTokens { get; init; }

    /// <summary>
    /// On the first token's event when prompt logprobs were asked for: per prompt token its log-probability (NaN for
    /// the first, which nothing precedes) and its most likely alternatives; empty otherwise.
    /// </summary>
    [Id(10)] public IReadOnlyList<float> PromptLogprobs { get; init; } = [];

    [Id(11)] public IReadOnlyList<int[]> PromptTopTokenIds { get; init; } = [];

    [Id(12)] public IReadOnlyList<float[]> PromptTopLogprobs { get; init; } = [];
}
