using System.Text.Json;

namespace InferMesh.Contracts.ToolCalls;

/// <summary>
/// Mistral style: <c>[TOOL_CALLS]</c> then a JSON list of <c>{"name": …, "arguments": {…}}</c>, text before it being
/// content. [TOOL_CALLS] is a special token, which the engine leaves out of the text, so a reply that is just such a
/// list is read as calls too. Call ids are 9 letters and digits, the only ids Mistral's templates accept back.
/// </summary>
public sealed class MistralToolCallParser : ToolCallParser
{
    private const string Marker = "[TOOL_CALLS]";

    public override string Format => ToolCallFormats.Mistral;

    public override ToolCallParse Parse(string text)
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

    public override int CallStart(string text)
    {
        var marker = text.IndexOf(Marker, StringComparison.Ordinal);
        if (marker >= 0)
        {
            return marker;
        }

        var at = SkipWhiteSpace(text);
        return at == text.Length || text[at] == '[' ? 0 : PartialMarkerAt(text, Marker);
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
        catch (JsonException)
        {
            return null;
        }
    }
}
