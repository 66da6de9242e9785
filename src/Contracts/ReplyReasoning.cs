namespace InferMesh.Contracts;

/// <summary>
/// Where a reply of a reasoning model stands when it begins, read from the end of its prompt (see
/// <see cref="ReasoningFormats.StartOf"/>): it decides how the reply splits into reasoning and content.
/// </summary>
[GenerateSerializer]
public enum ReplyReasoning
{
    /// <summary>The reply is content only: no reasoning format, a prompt that closed the think block (Qwen3 with enable_thinking false), or a constrained reply.</summary>
    None = 0,

    /// <summary>The reply reasons only if it opens with <c>&lt;think&gt;</c> (after white space); otherwise it is all content.</summary>
    MayOpenWithTag = 1,

    /// <summary>The prompt opened the think block (DeepSeek-R1, QwQ): the reply is reasoning until <c>&lt;/think&gt;</c>, all of it when the tag never comes.</summary>
    StartsInside = 2,

    /// <summary>
    /// DeepSeek-R1's original template (the prompt opens no block): the reply is reasoning from its first token until
    /// <c>&lt;/think&gt;</c>, and a <c>&lt;think&gt;</c> it opens with (after white space) is dropped, as vLLM's parser does.
    /// </summary>
    ReasonsWithOptionalTag = 3,
}
