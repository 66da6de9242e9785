using System.Text;

namespace InferMesh.Contracts.ToolCalls;

/// <summary>
/// Reads the tool calls of one model family out of its reply text, whole (<see cref="Parse"/>) or as it streams
/// (<see cref="NewReader"/>): both run the same <see cref="ToolCallReader"/>, so they read alike. Text that is not a
/// call in the family's format stays content: a reply never fails because it looked like a call.
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
    /// A reader for one streamed reply. With <paramref name="functions"/> (the names the request lets the model call),
    /// a call naming any other function is no call: its text is content. Null accepts any name (a stored reply read
    /// back, whose request's tools are not known).
    /// </summary>
    public abstract ToolCallReader NewReader(IReadOnlyCollection<string>? functions = null);

    /// <summary>Splits a whole reply into its calls and the text outside them (trimmed; null when none), as streaming it would.</summary>
    public ToolCallParse Parse(string text, IReadOnlyCollection<string>? functions = null)
    {
        var reader = NewReader(functions);
        reader.Add(text);
        reader.Finish();
        var content = new StringBuilder();
        var calls = new List<(string Id, string Name, StringBuilder Arguments)>();
        foreach (var piece in reader.TakePieces())
        {
            switch (piece.Kind)
            {
                case ToolCallPieceKind.Content:
                    content.Append(piece.Text);
                    break;
                case ToolCallPieceKind.Header:
                    calls.Add((piece.Id!, piece.Text, new StringBuilder()));
                    break;
                default:
                    calls[piece.CallIndex].Arguments.Append(piece.Text);
                    break;
            }
        }

        return calls.Count == 0
            ? ToolCallParse.PlainText(text)
            : new ToolCallParse(ToolCallParse.ContentOf(content.ToString()), [.. calls.Select(c => new ParsedToolCall(c.Id, c.Name, c.Arguments.ToString()))]);
    }

    /// <summary>A new call id: <c>call_</c> and 24 random letters and digits, as OpenAI's look.</summary>
    protected virtual string NewCallId() => "call_" + ToolCallIds.Random(24);

    /// <summary>The id source a reader of this format uses.</summary>
    private protected Func<string> CallIds => NewCallId;
}
