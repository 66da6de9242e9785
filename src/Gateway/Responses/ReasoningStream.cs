using InferMesh.Contracts;
using InferMesh.Contracts.Reasoning;

namespace InferMesh.Gateway.Responses;

/// <summary>
/// One streamed choice of a reasoning model: each delta's text split into reasoning (sent as
/// <c>delta.reasoning_content</c>) and content (passed on to the content or tool-call path), with no partial tag in
/// either (see <see cref="ReasoningSplitter"/>). A token's logprob travels with the first text released after it:
/// reasoning tokens with reasoning chunks, the rest with content; those of text held back wait for it.
/// </summary>
public sealed class ReasoningStream(ReplyReasoning start)
{
    private readonly ReasoningSplitter _splitter = new(start);
    private readonly List<TokenLogprobInfo> _pending = [];

    /// <summary>Adds a delta; <paramref name="last"/> on the choice's finishing delta releases everything held.</summary>
    public (string Reasoning, IReadOnlyList<TokenLogprobInfo> ReasoningLogprobs, string Content, IReadOnlyList<TokenLogprobInfo> ContentLogprobs) Add(string text, TokenLogprobInfo? logprob, bool last)
    {
        if (logprob is not null)
        {
            _pending.Add(logprob);
        }

        _splitter.Add(text);
        if (last)
        {
            _splitter.Finish();
        }

        var reasoning = _splitter.TakeReasoning();
        var reasoningLogprobs = reasoning.Length > 0 ? TakePending() : [];
        var content = _splitter.TakeContent();
        var contentLogprobs = content.Length > 0 || last ? TakePending() : [];
        return (reasoning, reasoningLogprobs, content, contentLogprobs);
    }

    private IReadOnlyList<TokenLogprobInfo> TakePending()
    {
        if (_pending.Count == 0)
        {
            return [];
        }

        TokenLogprobInfo[] taken = [.. _pending];
        _pending.Clear();
        return taken;
    }
}
