namespace InferMesh.Contracts;

/// <summary>
/// How a reasoning model marks its reasoning in a reply: <c>&lt;think&gt; … &lt;/think&gt;</c> before the answer.
/// Names as vLLM's <c>--reasoning-parser</c> names them. Both formats use the same tags; they differ only in a reply
/// whose prompt neither opened nor closed a think block: <see cref="DeepSeekR1"/> reads it as reasoning from its first
/// token (R1 often leaves the opening tag out), <see cref="Qwen3"/> as content unless it opens with the tag.
/// </summary>
public static class ReasoningFormats
{
    /// <summary>DeepSeek-R1 and its distills, QwQ: the reply is reasoning until <c>&lt;/think&gt;</c>; the opening tag is optional.</summary>
    public const string DeepSeekR1 = "deepseek_r1";

    /// <summary>Qwen3, SmolLM3 and others: reasoning only inside a <c>&lt;think&gt;</c> block the reply opens (or the prompt opened).</summary>
    public const string Qwen3 = "qwen3";

    /// <summary>Replies are not split: all content.</summary>
    public const string None = "none";

    public const string OpenTag = "<think>";

    public const string CloseTag = "</think>";

    /// <summary>
    /// The format a chat template points to: <see cref="Qwen3"/> (read from the prompt's end, which covers DeepSeek-R1's
    /// and QwQ's prompts that open the block) when the template writes or strips <c>&lt;/think&gt;</c>, else
    /// <see cref="None"/>.
    /// </summary>
    public static string Detect(string templateSource) => templateSource.Contains(CloseTag, StringComparison.Ordinal) ? Qwen3 : None;

    /// <summary>
    /// How a reply to <paramref name="prompt"/> begins in <paramref name="format"/>: inside reasoning when the prompt
    /// ends (white space aside) with an opened <c>&lt;think&gt;</c>; content only when it ends with <c>&lt;/think&gt;</c>
    /// (an empty think block, as Qwen3 renders enable_thinking false); otherwise as the format reads an untagged reply.
    /// </summary>
    public static ReplyReasoning StartOf(string? format, string prompt)
    {
        if (format is not (DeepSeekR1 or Qwen3))
        {
            return ReplyReasoning.None;
        }

        var end = prompt.AsSpan().TrimEnd();
        return end.EndsWith(OpenTag, StringComparison.Ordinal) ? ReplyReasoning.StartsInside
            : end.EndsWith(CloseTag, StringComparison.Ordinal) ? ReplyReasoning.None
            : format == DeepSeekR1 ? ReplyReasoning.ReasonsWithOptionalTag
            : ReplyReasoning.MayOpenWithTag;
    }
}
