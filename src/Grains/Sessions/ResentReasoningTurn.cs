using InferMesh.Contracts;
using InferMesh.Contracts.ToolCalls;

namespace InferMesh.Grains.Sessions;

/// <summary>
/// Whether a message a client resends is the stored one, and which of the two the next prompt renders. A reasoning
/// model's reply is stored split: its content and its <c>reasoning_content</c> (see <see cref="ChoiceReply"/>); clients
/// send it back with the content only (most OpenAI clients drop fields they do not know) or with the reasoning too.
/// Both are the stored turn: the content must match (exactly, or as <see cref="ResentToolCallTurn"/> matches calls) and
/// resent reasoning must equal the stored one (newlines at either end aside), unless the stored turn no longer knows
/// its reasoning (an earlier content-only resend replaced it). The stored message is kept with exactly the reasoning
/// the client resent (none when it sent none or an empty string), so the prompt renders what the client's messages
/// render through Hugging Face's apply_chat_template (Qwen3's template shows reasoning of turns after the last user
/// message when it is given, and treats a missing and an empty reasoning_content alike).
/// </summary>
internal static class ResentReasoningTurn
{
    /// <summary>The message to render for the stored turn when <paramref name="resent"/> is it; null when it is not.</summary>
    public static ChatMessage? Kept(ChatMessage stored, ChatMessage resent, ToolCallParser? toolCallParser)
    {
        if (stored == resent)
        {
            return stored;
        }

        if (stored.Role != "assistant" || resent.Role != "assistant")
        {
            return null;
        }

        var resentReasoning = string.IsNullOrEmpty(resent.ReasoningContent) ? null : resent.ReasoningContent;
        if (resentReasoning is not null && stored.ReasoningContent is not null && !SameReasoning(resentReasoning, stored.ReasoningContent))
        {
            return null;
        }

        var asStored = resent with { ReasoningContent = stored.ReasoningContent };
        if (asStored != stored && !ResentToolCallTurn.Matches(stored, asStored, toolCallParser))
        {
            return null;
        }

        return stored with { ReasoningContent = resentReasoning };
    }

    private static bool SameReasoning(string resent, string stored) =>
        resent.AsSpan().Trim('\n').SequenceEqual(stored.AsSpan().Trim('\n'));
}
