using System.Text.Json;
using InferMesh.Contracts;
using InferMesh.Contracts.ToolCalls;
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

    /// <summary>With tools: the tool-call format the chat template points to (see <see cref="ToolCallFormats"/>); else null.</summary>
    public string? ToolCallFormat { get; init; }

    /// <summary>How the reply to this prompt begins for reasoning (see <see cref="ReasoningFormats.StartOf"/>); None for raw prompts.</summary>
    public ReplyReasoning Reasoning { get; init; }

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

    public static TurnPrompt ForChat(IInferenceEngine engine, SessionState state, IReadOnlyList<ChatMessage> incoming, string? tools = null, string? forcedToolCallFormat = null, string? chatTemplateKwargs = null, string? forcedReasoningFormat = null)
    {
        if (engine.ChatTemplate is not { } template)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, $"model '{engine.ModelName}' has no chat template (chat_template.jinja or tokenizer_config.json); use /v1/completions with a raw prompt", "messages");
        }

        var toolCallFormat = ToolCallFormatOf(engine, template, tools);

        var (history, added) = Resent(state.Messages, incoming, HistoryParser(template, forcedToolCallFormat));
        if (added.Count == 0)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, "messages add nothing to the session's history; send at least one new message", "messages");
        }

        var tokenizer = engine.Tokenizer;
        List<ChatMessage> conversation = [.. history, .. added];
        string text;
        try
        {
            text = template.Render(Variables(tokenizer, conversation, tools, chatTemplateKwargs));
        }
        catch (TemplateException ex)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, $"the model's chat template rejected the messages: {ex.Message}", "messages");
        }

        var reasoning = ReasoningFormats.StartOf(ReasoningFormatOf(engine, template, forcedReasoningFormat), text);
        if (state.TokenIds.Count > 0 && state.RenderedText.Length > 0 && text.StartsWith(state.RenderedText, StringComparison.Ordinal))
        {
            var suffix = tokenizer.Encode(text[state.RenderedText.Length..], addSpecialTokens: false, continuation: true);
            return new TurnPrompt([.. state.TokenIds, .. suffix], text, conversation, state.TokenIds.Count) { ToolCallFormat = toolCallFormat, Reasoning = reasoning };
        }

        return new TurnPrompt(tokenizer.Encode(text, addSpecialTokens: false), text, conversation, 0) { ToolCallFormat = toolCallFormat, Reasoning = reasoning };
    }

    /// <summary>
    /// The reasoning format replies are split in: the gateway's forced one, else the one the template points to — unless
    /// the tokenizer makes <c>&lt;/think&gt;</c> a special token, which the engine leaves out of reply text, so the
    /// reply could not be split on it (such a model's replies stay content).
    /// </summary>
    internal static string ReasoningFormatOf(IInferenceEngine engine, ChatTemplate template, string? forcedReasoningFormat)
    {
        if (forcedReasoningFormat is { } forced)
        {
            return forced;
        }

        var tokenizer = engine.Tokenizer;
        var hidden = tokenizer.TokenToId(ReasoningFormats.CloseTag) is { } id && tokenizer.IsSpecial(id);
        return hidden ? ReasoningFormats.None : ReasoningFormats.Detect(template.Source);
    }

    /// <summary>
    /// Null without tools; with tools, the format the template points to — or a 400 when the template never mentions
    /// tools (it would render the request as if none had been given, and the model could not call them).
    /// </summary>
    internal static string? ToolCallFormatOf(IInferenceEngine engine, ChatTemplate template, string? tools)
    {
        if (tools is null)
        {
            return null;
        }

        if (!ToolCallFormats.TemplateRendersTools(template.Source))
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, $"the chat template of model '{engine.ModelName}' cannot render tools (it never refers to 'tools'); send the request without 'tools', or serve the model with a tool-calling chat template", "tools");
        }

        return ToolCallFormats.Detect(template.Source);
    }

    /// <summary>
    /// The parser that reads the session's stored replies for calls: the gateway's forced format, else the one the
    /// template points to — whether or not this turn has tools, since an earlier one may have had them.
    /// </summary>
    internal static ToolCallParser? HistoryParser(ChatTemplate template, string? forcedToolCallFormat) =>
        ToolCallParser.For(forcedToolCallFormat ?? ToolCallFormats.Detect(template.Source));

    /// <summary>
    /// Messages after the stored history when the client resent it; all of them when it sent only the new turn. A
    /// resent message matches its stored one when equal, or when it is the stored reply's tool calls in OpenAI's form
    /// (see <see cref="ResentToolCallTurn"/>, read with <paramref name="toolCallParser"/>); the stored message is kept.
    /// </summary>
    internal static IReadOnlyList<ChatMessage> NewMessages(IReadOnlyList<ChatMessage> history, IReadOnlyList<ChatMessage> incoming, ToolCallParser? toolCallParser = null) =>
        Resent(history, incoming, toolCallParser).Added;

    /// <summary>
    /// The history to render and the messages it adds. When the client resent the stored history (see
    /// <see cref="NewMessages"/>), each stored message is kept, but with the reasoning the client resent (none when it
    /// sent none back): the prompt is then what the client's own messages render, as Hugging Face's
    /// apply_chat_template would render them (see <see cref="ResentReasoningTurn"/>).
    /// </summary>
    internal static (IReadOnlyList<ChatMessage> History, IReadOnlyList<ChatMessage> Added) Resent(IReadOnlyList<ChatMessage> history, IReadOnlyList<ChatMessage> incoming, ToolCallParser? toolCallParser = null)
    {
        if (history.Count > 0 && incoming.Count >= history.Count)
        {
            var kept = new List<ChatMessage>(history.Count);
            for (var i = 0; i < history.Count; i++)
            {
                if (ResentReasoningTurn.Kept(history[i], incoming[i], toolCallParser) is not { } message)
                {
                    return (history, incoming);
                }

                kept.Add(message);
            }

            return (kept, [.. incoming.Skip(history.Count)]);
        }

        return (history, incoming);
    }

    // Hugging Face apply_chat_template's variables; the template renders add_generation_prompt's assistant header.
    // chat_template_kwargs come on top; the gateway refused any that name a variable set here (checked again, as a 400).
    internal static Dictionary<string, object?> Variables(TextTokenizer tokenizer, IReadOnlyList<ChatMessage> conversation, string? tools = null, string? chatTemplateKwargs = null)
    {
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = conversation.Select(TemplateMessage).ToList(),
            ["add_generation_prompt"] = true,
            ["bos_token"] = tokenizer.BosToken ?? "",
            ["eos_token"] = tokenizer.EosToken ?? "",
        };
        if (tools is not null)
        {
            variables["tools"] = ParseJson(tools);
        }

        if (chatTemplateKwargs is not null)
        {
            foreach (var kwarg in ParseJson(chatTemplateKwargs).EnumerateObject())
            {
                if (ChatTemplateVariables.Reserved.Contains(kwarg.Name))
                {
                    throw new InferenceException(InferenceErrorKind.InvalidRequest, $"chat_template_kwargs may not set '{kwarg.Name}': the server sets it", "chat_template_kwargs");
                }

                variables[kwarg.Name] = kwarg.Value;
            }
        }

        return variables;
    }

    /// <summary>
    /// A message as Hugging Face templates read it (and as vLLM passes it): role and content; tool_calls only on a
    /// message that has them (Llama 3.1's template tests <c>'tool_calls' in message</c>), each with its arguments as a
    /// JSON value rather than text, since templates iterate over them or write them with tojson; tool_call_id on a tool
    /// message.
    /// </summary>
    private static object? TemplateMessage(ChatMessage m)
    {
        var message = new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content };
        if (m.ToolCalls is { } calls)
        {
            message["tool_calls"] = calls.Select(c => (object?)new Dictionary<string, object?>
            {
                ["id"] = c.Id,
                ["type"] = "function",
                ["function"] = new Dictionary<string, object?> { ["name"] = c.Name, ["arguments"] = ParseJson(c.Arguments) },
            }).ToList();
        }

        if (m.ToolCallId is { } id)
        {
            message["tool_call_id"] = id;
        }

        // Only when there is some: Qwen3's template tests 'reasoning_content is defined and is not none'.
        if (m.ReasoningContent is { } reasoning)
        {
            message["reasoning_content"] = reasoning;
        }

        return message;
    }

    private static JsonElement ParseJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
