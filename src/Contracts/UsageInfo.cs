namespace InferMesh.Contracts;

/// <summary>Token counts of one choice; <see cref="CachedPromptTokens"/> came from a resident session or the prefix cache.</summary>
[GenerateSerializer, Immutable]
public sealed record UsageInfo(
    [property: Id(0)] int PromptTokens,
    [property: Id(1)] int CompletionTokens,
    [property: Id(2)] int CachedPromptTokens);
