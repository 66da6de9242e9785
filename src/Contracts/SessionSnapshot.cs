namespace InferMesh.Contracts;

/// <summary>The stored part of a session: messages plus the exact token ids the engine saw, so KV can be rebuilt token for token.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionSnapshot
{
    [Id(0)] public string? Model { get; init; }

    [Id(1)] public IReadOnlyList<ChatMessage> Messages { get; init; } = [];

    /// <summary>Prompt and reply token ids of every stored turn, in order (the session's KV content).</summary>
    [Id(2)] public IReadOnlyList<int> TokenIds { get; init; } = [];

    /// <summary>The text <see cref="TokenIds"/> decode from: the rendered prompt plus the reply, used to extend it incrementally.</summary>
    [Id(3)] public string RenderedText { get; init; } = "";

    [Id(4)] public int Turns { get; init; }
}
