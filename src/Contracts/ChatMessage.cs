namespace InferMesh.Contracts;

/// <summary>
/// One message of a conversation, as OpenAI's chat API names them (role: system, user, assistant, tool). An assistant
/// message may carry <see cref="ToolCalls"/> (its content is then often empty); a tool message answers one of them and
/// names it in <see cref="ToolCallId"/>.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ChatMessage([property: Id(0)] string Role, [property: Id(1)] string Content)
{
    /// <summary>The functions an assistant message called, in order; null for every other message.</summary>
    [Id(2)] public IReadOnlyList<ToolCallInfo>? ToolCalls { get; init; }

    /// <summary>On a tool message: the id of the call it answers.</summary>
    [Id(3)] public string? ToolCallId { get; init; }

    /// <summary>
    /// On an assistant message: its reasoning (DeepSeek's and vLLM's <c>reasoning_content</c>), passed to the template as
    /// the message's <c>reasoning_content</c>; null when it has none or the client did not send it back.
    /// </summary>
    [Id(4)] public string? ReasoningContent { get; init; }

    /// <summary>Equal when role, content, reasoning, tool call id and every tool call are (a history resent by a client compares equal).</summary>
    public bool Equals(ChatMessage? other) =>
        other is not null
        && string.Equals(Role, other.Role, StringComparison.Ordinal)
        && string.Equals(Content, other.Content, StringComparison.Ordinal)
        && string.Equals(ToolCallId, other.ToolCallId, StringComparison.Ordinal)
        && string.Equals(ReasoningContent, other.ReasoningContent, StringComparison.Ordinal)
        && (ToolCalls is null ? other.ToolCalls is null : other.ToolCalls is not null && ToolCalls.SequenceEqual(other.ToolCalls));

    public override int GetHashCode() => HashCode.Combine(Role, Content, ToolCallId, ToolCalls?.Count ?? -1);
}
