using InferMesh.Contracts;
using InferMesh.Engine.Serving;
using InferMesh.Engine.Templates;
using InferMesh.Grains.Sessions;

namespace InferMesh.Grains.ChunkCache;

/// <summary>
/// The prompt of a chat turn that carries documents (RAG chunks). Layout, fixed so a chunk's tokens are the same in
/// every prompt: the documents go at the start of the last message (which must be the user's question), each
/// followed by <see cref="Separator"/>, in the order given. The chat template renders the conversation with a marker
/// there; the text before the marker (system prompt, earlier turns, the user header), each document with its separator,
/// and the text after the marker (the question, the template's end of turn and assistant header) are tokenized
/// separately and concatenated, which gives the engine segments at chunk boundaries:
/// <c>[instructions] [document 1] … [document n] [question]</c>.
/// The session's history keeps the user message as the documents (with separators) followed by the question.
/// </summary>
internal static class DocumentPrompt
{
    /// <summary>What follows every document (a blank line), as part of the document's own tokens.</summary>
    public const string Separator = "\n\n";

    public static TurnPrompt ForChat(IInferenceEngine engine, SessionState state, IReadOnlyList<ChatMessage> incoming, IReadOnlyList<string> documents, string? tools = null, string? forcedToolCallFormat = null, string? chatTemplateKwargs = null, string? forcedReasoningFormat = null)
    {
        if (engine.ChatTemplate is not { } template)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, $"model '{engine.ModelName}' has no chat template (chat_template.jinja or tokenizer_config.json); documents need one", "documents");
        }

        var toolCallFormat = TurnPrompt.ToolCallFormatOf(engine, template, tools);
        var (history, added) = TurnPrompt.Resent(state.Messages, incoming, TurnPrompt.HistoryParser(template, forcedToolCallFormat));
        if (added.Count == 0 || added[^1].Role != "user")
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, "documents are placed before the question: the last message must be a new user message", "messages");
        }

        var question = added[^1];
        var marker = $"[[infermesh:documents:{Guid.NewGuid():N}]]";
        string rendered;
        try
        {
            rendered = template.Render(TurnPrompt.Variables(engine.Tokenizer, [.. history, .. added.SkipLast(1), question with { Content = marker + question.Content }], tools, chatTemplateKwargs));
        }
        catch (TemplateException ex)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, $"the model's chat template rejected the messages: {ex.Message}", "messages");
        }

        var at = rendered.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0 || rendered.IndexOf(marker, at + marker.Length, StringComparison.Ordinal) >= 0)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, $"the chat template of model '{engine.ModelName}' does not render the user's message verbatim once, so documents cannot be placed in it; send them inside the message instead", "documents");
        }

        var tokenizer = engine.Tokenizer;
        var before = rendered[..at];
        var after = rendered[(at + marker.Length)..];
        var pieces = documents.Select(d => d + Separator).ToArray();

        // Extend the session's stored tokens when the render continues its stored text, as plain turns do. Every piece
        // after the first is encoded as a continuation, so SentencePiece-style tokenizers put no "▁" at its start.
        List<int> ids;
        var reused = 0;
        if (state.TokenIds.Count > 0 && state.RenderedText.Length > 0 && before.StartsWith(state.RenderedText, StringComparison.Ordinal))
        {
            ids = [.. state.TokenIds, .. tokenizer.Encode(before[state.RenderedText.Length..], addSpecialTokens: false, continuation: true)];
            reused = state.TokenIds.Count;
        }
        else
        {
            ids = [.. tokenizer.Encode(before, addSpecialTokens: false)];
        }

        var spans = new List<PromptSpan> { new(ids.Count, null) };
        for (var i = 0; i < pieces.Length; i++)
        {
            var chunk = tokenizer.Encode(pieces[i], addSpecialTokens: false, continuation: true);
            ids.AddRange(chunk);
            spans.Add(new PromptSpan(chunk.Count, ChunkKey.HashOf(engine.ModelName, documents[i])));
        }

        var tail = tokenizer.Encode(after, addSpecialTokens: false, continuation: true);
        ids.AddRange(tail);
        spans.Add(new PromptSpan(tail.Count, null));
        var text = before + string.Concat(pieces) + after;
        List<ChatMessage> conversation = [.. history, .. added.SkipLast(1), question with { Content = string.Concat(pieces) + question.Content }];
        var reasoning = ReasoningFormats.StartOf(TurnPrompt.ReasoningFormatOf(engine, template, forcedReasoningFormat), text);
        return new TurnPrompt(ids, text, conversation, reused) { Segments = [.. spans.Where(s => s.Length > 0)], ToolCallFormat = toolCallFormat, Reasoning = reasoning };
    }
}
