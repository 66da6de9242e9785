using System.Text;

namespace InferMesh.Contracts.ToolCalls;

/// <summary>
/// Hermes / Qwen2.5 style: each call is <c>&lt;tool_call&gt;{"name": …, "arguments": {…}}&lt;/tool_call&gt;</c>, any
/// number of them, with text around them. The last call may lack its closing tag (the reply ended there). When any
/// block is not a valid call the whole reply stays content, as vLLM's hermes parser does.
/// </summary>
public sealed class HermesToolCallParser : ToolCallParser
{
    private const string Open = "<tool_call>";
    private const string Close = "</tool_call>";

    public override string Format => ToolCallFormats.Hermes;

    protected override ToolCallParse ParseCalls(string text)
    {
        var calls = new List<ParsedToolCall>();
        var outside = new StringBuilder();
        var at = 0;
        while (text.IndexOf(Open, at, StringComparison.Ordinal) is var open and >= 0)
        {
            outside.Append(text, at, open - at);
            var bodyStart = open + Open.Length;
            var close = text.IndexOf(Close, bodyStart, StringComparison.Ordinal);
            var body = close < 0 ? text[bodyStart..] : text[bodyStart..close];
            if (ToolCallJson.ReadCall(body.Trim(), "arguments") is not { } call)
            {
                return ToolCallParse.PlainText(text);
            }

            calls.Add(new ParsedToolCall(NewCallId(), call.Name, call.Arguments));
            at = close < 0 ? text.Length : close + Close.Length;
        }

        if (calls.Count == 0)
        {
            return ToolCallParse.PlainText(text);
        }

        outside.Append(text, at, text.Length - at);
        return new ToolCallParse(ToolCallParse.ContentOf(outside.ToString()), calls);
    }

    public override int CallStart(ReadOnlySpan<char> text, ToolCallScan scan)
    {
        if (scan.CallAt >= 0)
        {
            return scan.CallAt;
        }

        // A tag cut off at the end of the last scan was held back there; it completes at most Open.Length - 1 earlier.
        var from = Math.Max(0, scan.ScannedTo - (Open.Length - 1));
        var open = text[from..].IndexOf(Open, StringComparison.Ordinal);
        scan.Looked(from, text.Length);
        return open >= 0 ? scan.CallAt = from + open : PartialMarkerAt(text, Open);
    }
}
