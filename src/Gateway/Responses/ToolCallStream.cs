using System.Text;
using InferMesh.Contracts;
using InferMesh.Contracts.ToolCalls;
using InferMesh.Gateway.Tools;

namespace InferMesh.Gateway.Responses;

/// <summary>
/// One streamed choice of a request with tools. Text is passed on as content until the reply starts (or may be
/// starting) a tool call in the parser's format; from there it is held back. When the choice finishes the held text is
/// parsed: the calls it makes are returned to be sent as <c>delta.tool_calls</c>, and text that turned out not to be a
/// call is released as content. Logprobs travel with the content they belong to; those of call text are dropped.
/// </summary>
public sealed class ToolCallStream(ToolCallParser? parser, ToolCalling calling)
{
    private readonly StringBuilder _text = new();
    private readonly List<TokenLogprobInfo> _logprobs = [];
    private int _sent;

    /// <summary>Adds a delta's text; returns the content (and its logprobs) that may be sent now.</summary>
    public (string Text, IReadOnlyList<TokenLogprobInfo> Logprobs) Add(string text, TokenLogprobInfo? logprob)
    {
        _text.Append(text);
        if (logprob is not null)
        {
            _logprobs.Add(logprob);
        }

        var all = _text.ToString();
        var safe = parser is null ? all.Length : Math.Max(_sent, parser.CallStart(all));
        return Release(all, safe);
    }

    /// <summary>At the choice's end: the content still held (text that was not a call) and the calls the reply made.</summary>
    public (string Text, IReadOnlyList<TokenLogprobInfo> Logprobs, IReadOnlyList<ParsedToolCall> Calls) Finish()
    {
        var all = _text.ToString();
        if (parser is null || _sent == all.Length)
        {
            var rest = Release(all, all.Length);
            return (rest.Text, rest.Logprobs, []);
        }

        var parse = parser.Parse(all[_sent..]);
        if (parse.Calls.Count == 0)
        {
            var rest = Release(all, all.Length);
            return (rest.Text, rest.Logprobs, []);
        }

        _sent = all.Length;
        _logprobs.Clear();
        return (parse.Content ?? "", [], calling.Allowed(parse.Calls));
    }

    private (string Text, IReadOnlyList<TokenLogprobInfo> Logprobs) Release(string all, int upTo)
    {
        if (upTo <= _sent)
        {
            return ("", []);
        }

        var text = all[_sent..upTo];
        _sent = upTo;
        IReadOnlyList<TokenLogprobInfo> logprobs = [.. _logprobs];
        _logprobs.Clear();
        return (text, logprobs);
    }
}
