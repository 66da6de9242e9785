namespace InferMesh.Contracts;

/// <summary>
/// One request to a session grain: either chat <see cref="Messages"/> (rendered with the model's chat template) or a
/// raw <see cref="Prompt"/> (legacy completions). When the messages begin with the session's whole stored history only
/// the rest is new; otherwise all of them are appended after the history, so a client may send either the full
/// OpenAI-style list or just the new turn.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ChatTurn
{
    [Id(0)] public required string Model { get; init; }

    [Id(1)] public IReadOnlyList<ChatMessage> Messages { get; init; } = [];

    /// <summary>Raw prompt text (tokenized with the model's special tokens, no chat template).</summary>
    [Id(2)] public string? Prompt { get; init; }

    [Id(3)] public GenerationOptions Options { get; init; } = new();

    /// <summary>
    /// False for a one-off request without a session: nothing is written to storage and no KV is kept afterwards.
    /// </summary>
    [Id(4)] public bool Persist { get; init; } = true;
}
