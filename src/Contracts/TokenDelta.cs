namespace InferMesh.Contracts;

/// <summary>
/// One piece of a streamed reply. <see cref="Index"/> is the choice (0 ≤ index &lt; n). A delta with
/// <see cref="FinishReason"/> set ends its choice; the session's turn is stored before that delta is sent, so a
/// client that saw it can rely on the turn being part of the history.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TokenDelta
{
    [Id(0)] public int Index { get; init; }

    [Id(1)] public string Text { get; init; } = "";

    [Id(2)] public int TokenId { get; init; } = -1;

    [Id(3)] public TokenLogprobInfo? Logprob { get; init; }

    /// <summary>OpenAI's finish reason ("stop", "length") once the choice has ended, else null.</summary>
    [Id(4)] public string? FinishReason { get; init; }

    /// <summary>Token counts, on the finishing delta of each choice.</summary>
    [Id(5)] public UsageInfo? Usage { get; init; }

    /// <summary>The prompt's text, on each choice's first delta when the request asked for it echoed.</summary>
    [Id(6)] public string? PromptText { get; init; }

    /// <summary>
    /// With <see cref="PromptText"/>, when prompt logprobs were asked for: one entry per prompt token; the first has a
    /// NaN logprob and no alternatives (nothing precedes it; OpenAI writes null there).
    /// </summary>
    [Id(7)] public IReadOnlyList<TokenLogprobInfo>? PromptLogprobs { get; init; }

    /// <summary>
    /// On each choice's first delta of a turn with tools: the tool-call format the model's chat template points to
    /// (see <see cref="ToolCallFormats"/>), so the gateway knows how to read calls out of the reply.
    /// </summary>
    [Id(8)] public string? ToolCallFormat { get; init; }

    /// <summary>
    /// On each choice's first delta: how the reply begins for reasoning (see <see cref="ReplyReasoning"/>), so the
    /// gateway splits it into <c>reasoning_content</c> and content; <see cref="ReplyReasoning.None"/> keeps it all content.
    /// </summary>
    [Id(9)] public ReplyReasoning Reasoning { get; init; }
}
