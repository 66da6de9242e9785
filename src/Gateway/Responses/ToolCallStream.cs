using System.Buffers;
using InferMesh.Contracts;
using InferMesh.Contracts.ToolCalls;
using InferMesh.Gateway.Tools;

namespace InferMesh.Gateway.Responses;

/// <summary>
/// One streamed choice of a request with tools. Text is passed on as content until the reply starts (or may be
/// starting) a tool call in the parser's format; from there it is held back. When the choice finishes the held text is
/// parsed: the calls it makes are returned to be sent as <c>delta.tool_calls</c>, and text that turned out not to be a
/// call is released as content. Logprobs travel with the content they belong to; those of call text are dropped.
/// Each delta costs its own length: the text grows in one buffer and the parser scans only what is new. Under a forced
/// tool_choice the whole reply is JSON for the calls: nothing is sent as content until the end.
/// </summary>
public sealed class ToolCallStream(ToolCallParser? parser, ToolCalling calling)
{
    private readonly ArrayBufferWriter<char> _text = new(256);
    private readonly ToolCallScan _scan = new();
    private readonly List<TokenLogprobInfo> _logprobs = [];
    private int _sent;

    /// <summary>Whether <see cref="Finish"/> read the reply as a forced tool_choice's calls (they keep the reply's finish_reason).</summary>
    public bool FinishedForced { get; private set; }

    /// <summary>The choice's finish_reason once <see cref="Finish"/> returned <paramref name="calls"/> calls (see <see cref="ToolCalling.FinishReason"/>).</summary>
    public string FinishReason(int calls, string replyReason) => calling.FinishReason(calls, FinishedForced, replyReason);

    /// <summary>Characters the parser has looked at so far (linear in the reply's length).</summary>
    internal long CharactersScanned => _scan.CharactersScanned;

    /// <summary>Adds a delta's text; returns the content (and its logprobs) that may be sent now.</summary>
    public (string Text, IReadOnlyList<TokenLogprobInfo> Logprobs) Add(string text, TokenLogprobInfo? logprob)
    {
        if (logprob is not null)
        {
            _logprobs.Add(logprob);
        }

        return Add(text);
    }

    /// <summary>Adds content text with the logprobs of the tokens it came from (several when a reasoning split held some back).</summary>
    public (string Text, IReadOnlyList<TokenLogprobInfo> Logprobs) AddWithLogprobs(string text, IReadOnlyList<TokenLogprobInfo> logprobs)
    {
        _logprobs.AddRange(logprobs);
        return Add(text);
    }

    private (string Text, IReadOnlyList<TokenLogprobInfo> Logprobs) Add(string text)
    {
        _text.Write(text.AsSpan());
        var safe = calling.Forced ? _sent : parser is null ? _text.WrittenCount : Math.Max(_sent, parser.CallStart(_text.WrittenSpan, _scan));
        return Release(safe);
    }

    /// <summary>At the choice's end: the content still held (text that was not a call) and the calls the reply made.</summary>
    public (string Text, IReadOnlyList<TokenLogprobInfo> Logprobs, IReadOnlyList<ParsedToolCall> Calls) Finish()
    {
        var length = _text.WrittenCount;
        if (calling.ForcedCalls(new string(_text.WrittenSpan[_sent..])) is { } forced)
        {
            FinishedForced = true;
            _sent = length;
            _logprobs.Clear();
            return ("", [], forced);
        }

        if (parser is null || _sent == length)
        {
            var rest = Release(length);
            return (rest.Text, rest.Logprobs, []);
        }

        var parse = parser.Parse(new string(_text.WrittenSpan[_sent..]), calling.Functions);
        if (parse.Calls.Count == 0)
        {
            var rest = Release(length);
            return (rest.Text, rest.Logprobs, []);
        }

        _sent = length;
        _logprobs.Clear();
        return (parse.Content ?? "", [], calling.Allowed(parse.Calls));
    }

    private (string Text, IReadOnlyList<TokenLogprobInfo> Logprobs) Release(int upTo)
    {
        if (upTo <= _sent)
        {
            return ("", []);
        }

        var text = new string(_text.WrittenSpan[_sent..upTo]);
        _sent = upTo;
        IReadOnlyList<TokenLogprobInfo> logprobs = [.. _logprobs];
        _logprobs.Clear();
        return (text, logprobs);
    }
}
