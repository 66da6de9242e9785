using System.Text;
using System.Text.Json;

namespace InferMesh.Contracts.ToolCalls;

/// <summary>
/// Llama 3.1 / 3.2 JSON style: the whole reply is the call, <c>{"name": …, "parameters": {…}}</c> ("arguments" is read
/// too), optionally after <c>&lt;|python_tag|&gt;</c> (the engine leaves special tokens out of the text, so usually
/// without it); several calls are separated by <c>;</c>. A call must have "parameters" (or "arguments"): without, it
/// is any JSON object that has a "name" (a person's record, say). A reply that does not start with a call, or has
/// anything but calls in it, is content.
/// </summary>
public sealed class Llama3JsonToolCallParser : ToolCallParser
{
    private const string PythonTag = "<|python_tag|>";

    /// <summary>Throws on a lone surrogate character instead of writing U+FFFD: such text is not a call, as in the other formats.</summary>
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public override string Format => ToolCallFormats.Llama3Json;

    protected override ToolCallParse ParseCalls(string text)
    {
        var at = SkipWhiteSpace(text);
        if (text.AsSpan(at).StartsWith(PythonTag, StringComparison.Ordinal))
        {
            at = SkipWhiteSpace(text, at + PythonTag.Length);
        }

        if (ToUtf8(text[at..]) is not { } bytes)
        {
            return ToolCallParse.PlainText(text);
        }

        var calls = new List<ParsedToolCall>();
        var offset = 0;
        while (true)
        {
            if (ReadObject(bytes, ref offset) is not { } json || ToolCallJson.ReadCall(json, "parameters", argumentsRequired: true) is not { } call)
            {
                return ToolCallParse.PlainText(text);
            }

            calls.Add(new ParsedToolCall(NewCallId(), call.Name, call.Arguments));
            offset = SkipWhiteSpace(bytes, offset);
            if (offset == bytes.Length)
            {
                return new ToolCallParse(null, calls);
            }

            if (bytes[offset] != (byte)';')
            {
                return ToolCallParse.PlainText(text);
            }

            offset = SkipWhiteSpace(bytes, offset + 1);
            if (offset == bytes.Length)
            {
                return new ToolCallParse(null, calls);
            }
        }
    }

    /// <summary>A call can only open the reply: hold back from its first non-space character if that is '{' or the python tag (or a start of it).</summary>
    public override int CallStart(ReadOnlySpan<char> text, ToolCallScan scan)
    {
        if (scan.CallAt >= 0 || scan.NoCall)
        {
            return scan.NoCall ? text.Length : scan.CallAt;
        }

        // Only leading white space was seen so far: look on from where it ended.
        var at = SkipWhiteSpace(text, scan.ScannedTo);
        scan.Looked(scan.ScannedTo, at);
        if (at == text.Length)
        {
            return 0;
        }

        var rest = text[at..];
        if (rest[0] == '{' || rest.StartsWith(PythonTag, StringComparison.Ordinal))
        {
            return scan.CallAt = 0;
        }

        if (PythonTag.AsSpan().StartsWith(rest, StringComparison.Ordinal))
        {
            return 0;
        }

        scan.NoCall = true;
        return text.Length;
    }

    private static byte[]? ToUtf8(string text)
    {
        try
        {
            return Utf8.GetBytes(text);
        }
        catch (EncoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>The JSON object at <paramref name="offset"/>, advancing past it; null when there is none.</summary>
    private static string? ReadObject(byte[] bytes, ref int offset)
    {
        if (offset >= bytes.Length || bytes[offset] != (byte)'{')
        {
            return null;
        }

        var reader = new Utf8JsonReader(bytes.AsSpan(offset), new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read() || !reader.TrySkip())
            {
                return null;
            }
        }
        catch (JsonException)
        {
            return null;
        }

        var length = (int)reader.BytesConsumed;
        var json = Encoding.UTF8.GetString(bytes, offset, length);
        offset += length;
        return json;
    }

    private static int SkipWhiteSpace(byte[] bytes, int offset)
    {
        while (offset < bytes.Length && bytes[offset] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            offset++;
        }

        return offset;
    }
}
