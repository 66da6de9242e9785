using System.Text;
using InferMesh.Contracts;

namespace InferMesh.Gateway.Responses;

/// <summary>Collects the deltas of every choice of a non-streamed answer, and the usage over all of them.</summary>
public sealed class ChoiceAccumulator(int choices)
{
    private readonly StringBuilder[] _text = [.. Enumerable.Range(0, choices).Select(_ => new StringBuilder())];
    private readonly List<TokenLogprobInfo>[] _logprobs = [.. Enumerable.Range(0, choices).Select(_ => new List<TokenLogprobInfo>())];
    private readonly string?[] _finish = new string?[choices];
    private readonly string?[] _promptText = new string?[choices];
    private readonly IReadOnlyList<TokenLogprobInfo>?[] _promptLogprobs = new IReadOnlyList<TokenLogprobInfo>?[choices];
    private readonly string?[] _toolCallFormat = new string?[choices];
    private readonly ReplyReasoning[] _reasoning = new ReplyReasoning[choices];

    public int Choices => choices;

    public int PromptTokens { get; private set; }

    public int CachedPromptTokens { get; private set; }

    /// <summary>Of <see cref="CachedPromptTokens"/>, those placed from chunk caches.</summary>
    public int ReusedChunkTokens { get; private set; }

    public int CompletionTokens { get; private set; }

    public void Add(TokenDelta delta)
    {
        var i = delta.Index;
        _promptText[i] ??= delta.PromptText;
        _promptLogprobs[i] ??= delta.PromptLogprobs;
        _toolCallFormat[i] ??= delta.ToolCallFormat;
        if (delta.Reasoning != ReplyReasoning.None)
        {
            _reasoning[i] = delta.Reasoning;
        }
        _text[i].Append(delta.Text);
        if (delta.Logprob is { } lp)
        {
            _logprobs[i].Add(lp);
        }

        if (delta.FinishReason is { } finish)
        {
            _finish[i] = finish;
        }

        if (delta.Usage is { } usage)
        {
            AddUsage(usage, delta.Index);
        }
    }

    public string Text(int index) => _text[index].ToString();

    /// <summary>The prompt's text as the session grain echoed it (null unless echo was asked for).</summary>
    public string? PromptText(int index) => _promptText[index];

    /// <summary>The prompt's per-token logprobs (null unless echo with logprobs was asked for).</summary>
    public IReadOnlyList<TokenLogprobInfo>? PromptLogprobs(int index) => _promptLogprobs[index];

    public IReadOnlyList<TokenLogprobInfo> Logprobs(int index) => _logprobs[index];

    /// <summary>The tool-call format the session reported for the choice (null without tools).</summary>
    public string? ToolCallFormat(int index) => _toolCallFormat[index];

    /// <summary>How the choice's reply begins for reasoning (None: it is all content).</summary>
    public ReplyReasoning Reasoning(int index) => _reasoning[index];

    public string FinishReason(int index) => _finish[index] ?? "stop";

    /// <summary>The prompt is shared by every choice: count it once, completions for each.</summary>
    public void AddUsage(UsageInfo usage, int index)
    {
        if (index == 0)
        {
            PromptTokens += usage.PromptTokens;
            CachedPromptTokens += usage.CachedPromptTokens;
            ReusedChunkTokens += usage.ReusedChunkTokens;
        }

        CompletionTokens += usage.CompletionTokens;
    }
}
