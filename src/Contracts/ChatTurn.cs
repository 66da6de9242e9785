namespace InferMesh.Contracts;

/// <summary>
/// One request to a session grain: either chat <see cref="Messages"/> (rendered with the model's chat template) or a
/// raw <see cref="Prompt"/> (legacy completions). When the messages begin with the session's whole stored history only
/// the rest is new; otherwise all of them are appended after the history, so a client may send either the full
/// OpenAI-style list or just the new turn.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ChatTurn
{
    [Id(0)] public required string Model { get; init; }

    [Id(1)] public IReadOnlyList<ChatMessage> Messages { get; init; } = [];

    /// <summary>Raw prompt text (tokenized with the model's special tokens, no chat template).</summary>
    [Id(2)] public string? Prompt { get; init; }

    [Id(3)] public GenerationOptions Options { get; init; } = new();

    /// <summary>
    /// False for a one-off request without a session: nothing is written to storage and no KV is kept afterwards.
    /// </summary>
    [Id(4)] public bool Persist { get; init; } = true;

    /// <summary>
    /// Document texts (RAG chunks) to place before the last user message's content, each tokenized on its own so its
    /// KV can be reused wherever it appears (see <c>DocumentPrompt</c> in the grains for the exact layout).
    /// </summary>
    [Id(5)] public IReadOnlyList<string> Documents { get; init; } = [];

    /// <summary>
    /// Cache namespace of the caller (see <see cref="CacheNamespaces"/>), set by the gateway from the authenticated
    /// tenant; null means the session's own tenant's.
    /// </summary>
    [Id(6)] public string? CacheNamespace { get; init; }

    /// <summary>A raw prompt given as token ids (legacy completions with a token-id prompt): used as they are, nothing added.</summary>
    [Id(7)] public IReadOnlyList<int>? PromptTokenIds { get; init; }

    /// <summary>
    /// The function tools to show the model, as the JSON text of OpenAI's <c>tools</c> array (validated by the gateway),
    /// passed to the chat template as its <c>tools</c> variable; null renders without tools.
    /// </summary>
    [Id(8)] public string? Tools { get; init; }

    /// <summary>
    /// The tool-call format (a <see cref="ToolCallFormats"/> name) the gateway is set to read replies in, whatever the
    /// chat template points to; null when the template decides. The session reads its stored replies in the same format
    /// to recognise an assistant turn a client resends as <c>tool_calls</c>.
    /// </summary>
    [Id(9)] public string? ForcedToolCallFormat { get; init; }

    /// <summary>
    /// Extra variables for the chat template (vLLM's <c>chat_template_kwargs</c>), as the JSON text of an object the
    /// gateway validated (none of them one the server sets); null for none. E.g. <c>{"enable_thinking": false}</c>.
    /// </summary>
    [Id(10)] public string? ChatTemplateKwargs { get; init; }

    /// <summary>
    /// The reasoning format (a <see cref="ReasoningFormats"/> name) the gateway is set to split replies in, whatever the
    /// chat template points to; null when the template decides.
    /// </summary>
    [Id(11)] public string? ForcedReasoningFormat { get; init; }
}
