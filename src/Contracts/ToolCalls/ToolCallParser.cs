namespace InferMesh.Contracts.ToolCalls;

/// <summary>
/// Reads the tool calls of one model family out of its reply text. Text that is not a well-formed call in the family's
/// format stays content: a reply never fails because it looked like a call.
/// </summary>
public abstract class ToolCallParser
{
    /// <summary>The format's name (see <see cref="ToolCallFormats"/>).</summary>
    public abstract string Format { get; }

    /// <summary>The parser of a <see cref="ToolCallFormats"/> name; null for <see cref="ToolCallFormats.None"/>, null or a name it does not know.</summary>
    public static ToolCallParser? For(string? format) => format switch
    {
        ToolCallFormats.Hermes => new HermesToolCallParser(),
        ToolCallFormats.Llama3Json => new Llama3JsonToolCallParser(),
        ToolCallFormats.Mistral => new MistralToolCallParser(),
        _ => null,
    };

    /// <summary>
    /// Splits a whole reply into its calls and the text outside them. With <paramref name="functions"/> (the names the
    /// request lets the model call), a reply calling any other name makes no calls: it is all content, as is a reply
    /// that only looks like a call (a JSON object answer with a "name" key). Null accepts any name (a stored reply
    /// read back, whose request's tools are not known).
    /// </summary>
    public ToolCallParse Parse(string text, IReadOnlyCollection<string>? functions = null)
    {
        var parse = ParseCalls(text);
        return functions is null || parse.Calls.All(c => functions.Contains(c.Name)) ? parse : ToolCallParse.PlainText(text);
    }

    /// <summary>
    /// While a reply streams: the index from which <paramref name="text"/> (the reply so far) is, or may become, a
    /// tool call — text before it is content for sure and may be sent; <c>text.Length</c> when no call has begun.
    /// Each call passes the reply so far (a longer prefix of the same reply each time) and the same
    /// <paramref name="scan"/>, which keeps where the last call stopped so only new text is looked at. It may hold back
    /// more than strictly needed (never less): <see cref="Parse"/> of the held text decides at the end.
    /// </summary>
    public abstract int CallStart(ReadOnlySpan<char> text, ToolCallScan scan);

    /// <summary><see cref="CallStart(ReadOnlySpan{char}, ToolCallScan)"/> of one text on its own.</summary>
    public int CallStart(string text) => CallStart(text, new ToolCallScan());

    /// <summary>The calls in a whole reply and the text outside them, whatever the names they call.</summary>
    protected abstract ToolCallParse ParseCalls(string text);

    /// <summary>A new call id: <c>call_</c> and 24 random letters and digits, as OpenAI's look.</summary>
    protected virtual string NewCallId() => "call_" + ToolCallIds.Random(24);

    /// <summary>Where a trailing, unfinished <paramref name="marker"/> starts at the end of <paramref name="text"/>, else <c>text.Length</c>.</summary>
    protected static int PartialMarkerAt(ReadOnlySpan<char> text, string marker)
    {
        for (var length = Math.Min(marker.Length - 1, text.Length); length > 0; length--)
        {
            if (text[(text.Length - length)..].SequenceEqual(marker.AsSpan(0, length)))
            {
                return text.Length - length;
            }
        }

        return text.Length;
    }

    /// <summary>Index of the first character that is not white space, or <c>text.Length</c>.</summary>
    protected static int SkipWhiteSpace(ReadOnlySpan<char> text, int from = 0)
    {
        while (from < text.Length && char.IsWhiteSpace(text[from]))
        {
            from++;
        }

        return from;
    }
}
