using InferMesh.Contracts;
using InferMesh.Engine.Serving;
using InferMesh.Engine.Templates;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Grains.Sessions;

/// <summary>
/// The prompt of one turn: token ids, the text they stand for, and the conversation including the new messages.
/// A chat turn whose render extends the session's stored text reuses the stored token ids and encodes only the new
/// suffix, so the engine sees exactly the tokens it already holds KV for and prefills only what is new.
/// </summary>
internal sealed record TurnPrompt(IReadOnlyList<int> TokenIds, string Text, IReadOnlyList<ChatMessage> Conversation, int ReusedTokens)
{
    /// <summary>The prompt's structure at document boundaries (see <c>DocumentPrompt</c>); null for a prompt without documents.</summary>
    public IReadOnlyList<PromptSpan>? Segments { get; init; }

    public static TurnPrompt ForRawPrompt(TextTokenizer tokenizer, string prompt) =>
        new(tokenizer.Encode(prompt, addSpecialTokens: true), prompt, [], 0);

    /// <summary>A prompt given as token ids (used as they are); every id must be one the model's tokenizer knows.</summary>
    public static TurnPrompt ForTokenIds(TextTokenizer tokenizer, IReadOnlyList<int> ids)
    {
        foreach (var id in ids)
        {
            if (id < 0 || id >= tokenizer.VocabSize)
            {
                throw new InferenceException(InferenceErrorKind.InvalidRequest, $"prompt token id {id} is outside the model's vocabulary (ids 0..{tokenizer.VocabSize - 1})", "prompt");
            }
        }

        return new TurnPrompt([.. ids], tokenizer.Decode(ids), [], 0);
    }

    public static TurnPrompt ForChat(IInferenceEngine engine, SessionState state, IReadOnlyList<ChatMessage> incoming)
    {
        if (engine.ChatTemplate is not { } template)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, $"model '{engine.ModelName}' has no chat template (chat_template.jinja or tokenizer_config.json); use /v1/completions with a raw prompt", "messages");
        }

        var added = NewMessages(state.Messages, incoming);
        if (added.Count == 0)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, "messages add nothing to the session's history; send at least one new message", "messages");
        }

        var tokenizer = engine.Tokenizer;
        List<ChatMessage> conversation = [.. state.Messages, .. added];
        string text;
        try
        {
            text = template.Render(Variables(tokenizer, conversation));
        }
        catch (TemplateException ex)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, $"the model's chat template rejected the messages: {ex.Message}", "messages");
        }

        if (state.TokenIds.Count > 0 && state.RenderedText.Length > 0 && text.StartsWith(state.RenderedText, StringComparison.Ordinal))
        {
            var suffix = tokenizer.Encode(text[state.RenderedText.Length..], addSpecialTokens: false, continuation: true);
            return new TurnPrompt([.. state.TokenIds, .. suffix], text, conversation, state.TokenIds.Count);
        }

        return new TurnPrompt(tokenizer.Encode(text, addSpecialTokens: false), text, conversation, 0);
    }

    /// <summary>Messages after the stored history when the client resent it; all of them when it sent only the new turn.</summary>
    internal static IReadOnlyList<ChatMessage> NewMessages(IReadOnlyList<ChatMessage> history, IReadOnlyList<ChatMessage> incoming)
    {
        if (history.Count > 0 && incoming.Count >= history.Count)
        {
            var resent = true;
            for (var i = 0; i < history.Count && resent; i++)
            {
                resent = history[i] == incoming[i];
            }

            if (resent)
            {
                return [.. incoming.Skip(history.Count)];
            }
        }

        return incoming;
    }

    // Hugging Face apply_chat_template's variables; the template renders add_generation_prompt's assistant header.
    internal static Dictionary<string, object?> Variables(TextTokenizer tokenizer, IReadOnlyList<ChatMessage> conversation) => new()
    {
        ["messages"] = conversation.Select(m => (object?)new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList(),
        ["add_generation_prompt"] = true,
        ["bos_token"] = tokenizer.BosToken ?? "",
        ["eos_token"] = tokenizer.EosToken ?? "",
    };
}
