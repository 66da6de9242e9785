namespace InferMesh.Contracts;

/// <summary>A chunk's directory entry: its registration (if it was registered), where its KV lives and how often it was used.</summary>
[GenerateSerializer, Immutable]
public sealed record ChunkInfo
{
    [Id(0)] public required ChunkKey Key { get; init; }

    /// <summary>Registered through <c>POST /v1/chunks</c> (and not deleted since): its id may be used as a document.</summary>
    [Id(1)] public bool Registered { get; init; }

    /// <summary>The registered text; null for a chunk only seen as a document's text.</summary>
    [Id(2)] public string? Text { get; init; }

    /// <summary>Tokens of the chunk, once an engine has computed it.</summary>
    [Id(3)] public int? Tokens { get; init; }

    [Id(4)] public DateTimeOffset? RegisteredAt { get; init; }

    /// <summary>Engines on live silos holding the chunk's KV (silos declared dead are left out).</summary>
    [Id(5)] public IReadOnlyList<ChunkCopy> Copies { get; init; } = [];

    /// <summary>Chat requests that named the chunk as a document.</summary>
    [Id(6)] public long Requests { get; init; }

    /// <summary>Times an engine reused a stored variant of the chunk.</summary>
    [Id(7)] public long Hits { get; init; }
}
