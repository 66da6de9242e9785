using System.Text;
using InferMesh.Contracts;
using InferMesh.Contracts.Reasoning;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Grains.Sessions;

/// <summary>
/// Collects one choice's reply (text and token ids) while turning engine events into client deltas. With
/// <paramref name="echo"/> the first delta also carries the prompt's text and, when the engine reported them, its logprobs.
/// </summary>
internal sealed class ChoiceReply(int index, TextTokenizer tokenizer, bool logprobs, TurnPrompt? echo = null)
{
    private bool _echoed;
    private bool _started;

    private readonly StringBuilder _text = new();
    private readonly List<int> _tokenIds = [];

    public int Index => index;

    public string Text => _text.ToString();

    public string? FinishReason { get; private set; }

    /// <summary>Sent on the choice's first delta (see <see cref="TokenDelta.ToolCallFormat"/>); null without tools.</summary>
    public string? ToolCallFormat { get; init; }

    /// <summary>Sent on the choice's first delta (see <see cref="TokenDelta.Reasoning"/>).</summary>
    public ReplyReasoning Reasoning { get; init; }

    /// <summary>
    /// The reply as the session stores it: split into content and <c>reasoning_content</c> as the gateway returned it,
    /// so the next turn renders the message a client would resend (the stored token ids keep the raw reply).
    /// </summary>
    public ChatMessage AsMessage()
    {
        if (Reasoning == ReplyReasoning.None)
        {
            return new ChatMessage("assistant", Text);
        }

        var (reasoning, content) = ReasoningSplitter.Split(Text, Reasoning);
        return new ChatMessage("assistant", content) { ReasoningContent = reasoning };
    }

    public TokenDelta Add(ShardTokenEvent e)
    {
        if (e.TokenId >= 0)
        {
            _tokenIds.Add(e.TokenId);
        }

        _text.Append(e.TextDelta);
        FinishReason = e.FinishReason;
        var echoNow = echo is not null && !_echoed;
        _echoed |= echoNow;
        var first = !_started;
        _started = true;
        return new TokenDelta
        {
            ToolCallFormat = first ? ToolCallFormat : null,
            Reasoning = first ? Reasoning : ReplyReasoning.None,
            PromptText = echoNow ? echo!.Text : null,
            PromptLogprobs = echoNow && e.PromptLogprobs.Count == echo!.TokenIds.Count ? PromptLogprobsOf(echo.TokenIds, e) : null,
            Index = index,
            Text = e.TextDelta,
            TokenId = e.TokenId,
            Logprob = logprobs && e.TokenId >= 0 && e.Logprob is { } lp ? LogprobOf(e.TokenId, lp, e) : null,
            FinishReason = e.FinishReason,
            Usage = e.FinishReason is null ? null : new UsageInfo(e.PromptTokens, e.CompletionTokens, e.CachedPromptTokens, e.ReusedChunkTokens),
        };
    }

    /// <summary>
    /// The reply's token ids as they extend the session's KV: a final special token that ended the reply (EOS) is
    /// left out, since the chat template writes the end-of-turn marker itself when the next turn is rendered.
    /// </summary>
    public IReadOnlyList<int> TokenIdsForHistory()
    {
        if (FinishReason == "stop" && _tokenIds.Count > 0 && tokenizer.IsSpecial(_tokenIds[^1]))
        {
            return _tokenIds[..^1];
        }

        return _tokenIds;
    }

    private List<TokenLogprobInfo> PromptLogprobsOf(IReadOnlyList<int> ids, ShardTokenEvent e)
    {
        var entries = new List<TokenLogprobInfo>(ids.Count);
        for (var p = 0; p < ids.Count; p++)
        {
            var token = p == 0 ? tokenizer.Decode([ids[0]]) : tokenizer.DecodeContinuation([ids[p]]);
            var top = e.PromptTopTokenIds[p].Select((id, j) => Top(id, e.PromptTopLogprobs[p][j])).ToArray();
            entries.Add(new TokenLogprobInfo(token, e.PromptLogprobs[p], Encoding.UTF8.GetBytes(token), top));
        }

        return entries;
    }

    private TopLogprobInfo Top(int id, float logprob)
    {
        var text = tokenizer.DecodeContinuation([id]);
        return new TopLogprobInfo(text, logprob, Encoding.UTF8.GetBytes(text));
    }

    private TokenLogprobInfo LogprobOf(int tokenId, float logprob, ShardTokenEvent e)
    {
        var top = new TopLogprobInfo[e.TopTokenIds.Count];
        for (var i = 0; i < top.Length; i++)
        {
            var text = tokenizer.DecodeContinuation([e.TopTokenIds[i]]);
            top[i] = new TopLogprobInfo(text, e.TopLogprobs[i], Encoding.UTF8.GetBytes(text));
        }

        var token = tokenizer.DecodeContinuation([tokenId]);
        return new TokenLogprobInfo(token, logprob, Encoding.UTF8.GetBytes(token), top);
    }
}
