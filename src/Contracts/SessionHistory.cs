namespace InferMesh.Contracts;

/// <summary>What a session holds: its model, messages and how many tokens they are, and where its KV lives.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionHistory
{
    [Id(0)] public required string SessionId { get; init; }

    [Id(1)] public string? Model { get; init; }

    [Id(2)] public IReadOnlyList<ChatMessage> Messages { get; init; } = [];

    [Id(3)] public int TokenCount { get; init; }

    [Id(4)] public int Turns { get; init; }

    /// <summary>The silo whose engine holds the session's KV, or null when none does (new, reset, or its silo left).</summary>
    [Id(5)] public string? KvSilo { get; init; }

    [Id(6)] public DateTimeOffset? UpdatedAt { get; init; }
}
