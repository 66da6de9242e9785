namespace InferMesh.Contracts.ToolCalls;

/// <summary>
/// A reply split into the calls it makes and the text outside them (<see cref="Content"/>: trimmed, null when there is
/// none). A reply without valid calls is all content, with no calls.
/// </summary>
public sealed record ToolCallParse(string? Content, IReadOnlyList<ParsedToolCall> Calls)
{
    public static ToolCallParse PlainText(string text) => new(text, []);

    /// <summary>The text outside the calls as a reply's content: trimmed, or null when nothing but whitespace.</summary>
    public static string? ContentOf(string outside) => string.IsNullOrWhiteSpace(outside) ? null : outside.Trim();
}
