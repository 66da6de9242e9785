namespace InferMesh.Engine.Serving;

/// <summary>
/// One step of a sequence's output stream. <see cref="TextDelta"/> is the newly decodable text (never half a UTF-8
/// character, never part of a matched stop string). The last event has <see cref="Finish"/> set and carries usage.
/// </summary>
public sealed record TokenEvent
{
    public int TokenId { get; init; } = -1;

    public string TextDelta { get; init; } = "";

    public TokenLogprob? Logprob { get; init; }

    /// <summary>
    /// On the first token's event of a request that asked for <see cref="GenerationRequest.PromptLogprobs"/>: one entry
    /// per prompt token, the first null (nothing precedes it).
    /// </summary>
    public IReadOnlyList<TokenLogprob?>? PromptLogprobs { get; init; }

    public FinishReason Finish { get; init; }

    public int PromptTokens { get; init; }

    /// <summary>Prompt tokens whose KV came from a cache (prefix or session) instead of being computed.</summary>
    public int CachedPromptTokens { get; init; }

    /// <summary>Of <see cref="CachedPromptTokens"/>, those placed from chunk caches (Cache-Craft reuse, not recomputed).</summary>
    public int ReusedChunkTokens { get; init; }

    public int CompletionTokens { get; init; }

    public string? Error { get; init; }
}
