using System.Text.Json;

namespace InferMesh.Contracts.ToolCalls;

/// <summary>
/// Mistral style: <c>[TOOL_CALLS]</c> then a JSON list of <c>{"name": …, "arguments": {…}}</c>, text before it being
/// content. [TOOL_CALLS] is a special token, which the engine leaves out of the text, so a reply that is just such a
/// list (or a single call object) is read as calls too, and while streaming such a reply is held back from its first
/// character, so streamed and whole replies read the same. Call ids are 9 letters and digits, the only ids Mistral's templates accept back.
/// </summary>
public sealed class MistralToolCallParser : ToolCallParser
{
    private const string Marker = "[TOOL_CALLS]";

    public override string Format => ToolCallFormats.Mistral;

    protected override ToolCallParse ParseCalls(string text)
    {
        var marker = text.IndexOf(Marker, StringComparison.Ordinal);
        var listStart = marker >= 0 ? marker + Marker.Length : SkipWhiteSpace(text);
        var calls = ReadList(text[listStart..]);
        if (calls is null)
        {
            return ToolCallParse.PlainText(text);
        }

        return new ToolCallParse(marker >= 0 ? ToolCallParse.ContentOf(text[..marker]) : null, calls);
    }

    public override int CallStart(ReadOnlySpan<char> text, ToolCallScan scan)
    {
        if (scan.CallAt >= 0)
        {
            return scan.CallAt;
        }

        if (scan.FirstNonSpace < 0)
        {
            var at = SkipWhiteSpace(text, scan.ScannedTo);
            scan.Looked(scan.ScannedTo, at);
            if (at == text.Length)
            {
                return 0;
            }

            scan.FirstNonSpace = at;
            if (text[at] is '[' or '{')
            {
                // A bare list or object, which Parse reads as calls: held whole (a marker later in it changes nothing).
                return scan.CallAt = 0;
            }
        }

        // A marker cut off at the end of the last scan was held back there; it completes at most Marker.Length - 1 earlier.
        var from = Math.Max(scan.FirstNonSpace, scan.ScannedTo - (Marker.Length - 1));
        var marker = text[from..].IndexOf(Marker, StringComparison.Ordinal);
        scan.Looked(from, text.Length);
        return marker >= 0 ? scan.CallAt = from + marker : PartialMarkerAt(text, Marker);
    }

    protected override string NewCallId() => ToolCallIds.Random(9);

    private List<ParsedToolCall>? ReadList(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            var root = document.RootElement;
            var items = root.ValueKind == JsonValueKind.Array ? root.EnumerateArray().ToList() : [root];
            var calls = new List<ParsedToolCall>(items.Count);
            foreach (var item in items)
            {
                if (ToolCallJson.ReadCall(item, "arguments") is not { } call)
                {
                    return null;
                }

                calls.Add(new ParsedToolCall(NewCallId(), call.Name, call.Arguments));
            }

            return calls.Count > 0 ? calls : null;
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            // ArgumentException: the text holds a lone surrogate character, which has no UTF-8 form.
            return null;
        }
    }
}
