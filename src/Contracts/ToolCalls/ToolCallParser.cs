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

    /// <summary>Splits a whole reply into its calls and the text outside them.</summary>
    public abstract ToolCallParse Parse(string text);

    /// <summary>
    /// While a reply streams: the index from which <paramref name="text"/> (the reply so far) is, or may become, a
    /// tool call — text before it is content for sure and may be sent; <c>text.Length</c> when no call has begun.
    /// </summary>
    public abstract int CallStart(string text);

    /// <summary>A new call id: <c>call_</c> and 24 random letters and digits, as OpenAI's look.</summary>
    protected virtual string NewCallId() => "call_" + ToolCallIds.Random(24);

    /// <summary>Where a trailing, unfinished <paramref name="marker"/> starts at the end of <paramref name="text"/>, else <c>text.Length</c>.</summary>
    protected static int PartialMarkerAt(string text, string marker)
    {
        for (var length = Math.Min(marker.Length - 1, text.Length); length > 0; length--)
        {
            if (text.AsSpan(text.Length - length).SequenceEqual(marker.AsSpan(0, length)))
            {
                return text.Length - length;
            }
        }

        return text.Length;
    }

    /// <summary>Index of the first character that is not white space, or <c>text.Length</c>.</summary>
    protected static int SkipWhiteSpace(string text, int from = 0)
    {
        while (from < text.Length && char.IsWhiteSpace(text[from]))
        {
            from++;
        }

        return from;
    }
}
