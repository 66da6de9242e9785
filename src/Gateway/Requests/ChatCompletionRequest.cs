using System.Text;
using System.Text.Json;
using InferMesh.Contracts;
using InferMesh.Gateway.Errors;

namespace InferMesh.Gateway.Requests;

/// <summary>
/// A validated <c>POST /v1/chat/completions</c> body (OpenAI's fields plus <c>session_id</c>, <c>top_k</c>,
/// <c>ignore_eos</c> and <c>documents</c>: RAG chunks, as texts or ids of chunks registered through <c>/v1/chunks</c>).
/// </summary>
public sealed record ChatCompletionRequest(string Model, IReadOnlyList<ChatMessage> Messages, SamplingRequest Sampling, string? SessionId)
{
    /// <summary>Documents to place before the last user message (see the grains' <c>DocumentPrompt</c> for the layout).</summary>
    public IReadOnlyList<DocumentReference> Documents { get; init; } = [];

    /// <summary>The request's function tools; null when it has none.</summary>
    public ToolsRequest? Tools { get; init; }

    /// <summary>vLLM's <c>chat_template_kwargs</c> as validated JSON text (see <see cref="ChatTemplateKwargsField"/>); null when absent.</summary>
    public string? ChatTemplateKwargs { get; init; }

    public const int MaxModelNameLength = 256;

    private static readonly string[] Roles = ["system", "developer", "user", "assistant", "tool"];

    /// <summary>Features OpenAI has that InferMesh does not serve yet; naming them is a clear 400, not a silent ignore.</summary>
    private static readonly string[] Unsupported = ["functions", "function_call", "audio", "modalities", "prediction", "web_search_options", "reasoning_effort"];

    public static ChatCompletionRequest Parse(JsonElement root, GatewayOptions limits)
    {
        var fields = new RequestFields(root);
        var model = fields.RequiredString("model", MaxModelNameLength);
        if (string.IsNullOrWhiteSpace(model))
        {
            throw new ApiErrorException(ApiError.Invalid("Invalid 'model': must not be empty.", "model"));
        }

        var messages = ParseMessages(fields.Raw("messages") ?? throw new ApiErrorException(ApiError.Missing("messages")), limits.MaxMessages);
        var sampling = SamplingRequest.Parse(fields, limits, chat: true, defaultMaxTokens: null);
        var sessionId = fields.String("session_id", 1024);
        var documents = DocumentsField.ParseDocuments(fields.Raw("documents"), limits);
        var tools = ToolsRequest.Parse(fields, limits);
        var chatTemplateKwargs = ChatTemplateKwargsField.Parse(fields, limits);
        if (tools is { Forced: true })
        {
            sampling = sampling with { Options = ForceToolChoice(sampling.Options, tools) };
        }

        fields.String("user", 256);
        foreach (var name in Unsupported)
        {
            // Some clients always send an empty function list (and "function_call":"none"): those ask for nothing.
            if (fields.Raw(name) is { } value && !AsksForNothing(name, value))
            {
                throw new ApiErrorException(ApiError.Invalid(name is "functions" or "function_call"
                    ? $"'{name}' is OpenAI's deprecated form of tool calling and is not supported by this server; send the functions as 'tools' ([{{\"type\": \"function\", \"function\": {{...}}}}]) and use 'tool_choice' instead."
                    : $"'{name}' is not supported by this server.", name, "unsupported_parameter"));
            }
        }

        fields.RejectUnknown("store", "metadata", "service_tier", "stream_options");
        if (documents.Count > 0 && messages[^1].Role != "user")
        {
            throw new ApiErrorException(ApiError.Invalid("Documents are placed before the question: the last message must be a 'user' message when 'documents' is given.", "messages"));
        }

        return new ChatCompletionRequest(model, messages, sampling, sessionId) { Documents = documents, Tools = tools, ChatTemplateKwargs = chatTemplateKwargs };
    }

    private static List<ChatMessage> ParseMessages(JsonElement messages, int maxMessages)
    {
        if (messages.ValueKind != JsonValueKind.Array)
        {
            throw new ApiErrorException(ApiError.InvalidType("messages", "an array", messages.ValueKind));
        }

        var count = messages.GetArrayLength();
        if (count == 0)
        {
            throw new ApiErrorException(ApiError.Invalid("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", "messages", "empty_array"));
        }

        if (count > maxMessages)
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid 'messages': array too long. Expected at most {maxMessages} messages, got {count}.", "messages", "array_above_max_length"));
        }

        var result = new List<ChatMessage>(count);
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            result.Add(ParseMessage(message, $"messages[{index++}]"));
        }

        return result;
    }

    private static ChatMessage ParseMessage(JsonElement message, string path)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            throw new ApiErrorException(ApiError.InvalidType(path, "an object", message.ValueKind));
        }

        var fields = new RequestFields(message);
        var role = fields.String("role", 32) ?? throw new ApiErrorException(ApiError.Missing($"{path}.role"));
        if (Array.IndexOf(Roles, role) < 0)
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid value for '{path}.role': '{Truncate(role)}'. Supported values are: {string.Join(", ", Roles.Select(r => $"'{r}'"))}.", $"{path}.role", "invalid_value"));
        }

        if (fields.Raw("function_call") is not null)
        {
            throw new ApiErrorException(ApiError.Invalid($"'{path}.function_call' is OpenAI's deprecated form of a call and is not supported by this server; send the call in '{path}.tool_calls' instead.", $"{path}.function_call", "unsupported_parameter"));
        }

        var toolCalls = fields.Raw("tool_calls") is { } calls ? MessageToolCalls.Parse(calls, $"{path}.tool_calls") : null;
        if (toolCalls is not null && role != "assistant")
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid '{path}.tool_calls': only assistant messages carry tool calls, not '{role}' messages.", $"{path}.tool_calls", "invalid_value"));
        }

        var reasoning = fields.Raw("reasoning_content") is { } r
            ? r.ValueKind == JsonValueKind.String ? RequestFields.ReadString(r, $"{path}.reasoning_content") : throw new ApiErrorException(ApiError.InvalidType($"{path}.reasoning_content", "a string", r.ValueKind))
            : null;
        if (reasoning is not null && role != "assistant")
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid '{path}.reasoning_content': only assistant messages carry reasoning, not '{role}' messages.", $"{path}.reasoning_content", "invalid_value"));
        }

        // An assistant message often has no content (null): it called tools, or only reasoned (a reply cut off while
        // thinking, whose reasoning_content clients that do not know the field drop). It renders as empty text, as
        // vLLM accepts it; other roles must say something.
        var content = role == "assistant" && fields.Raw("content") is null ? "" : ParseContent(fields.Raw("content"), $"{path}.content");
        fields.String("name", 256);
        var toolCallId = fields.String("tool_call_id", 256);
        if (role == "tool" && toolCallId is null)
        {
            throw new ApiErrorException(ApiError.Missing($"{path}.tool_call_id"));
        }

        try
        {
            fields.RejectUnknown("refusal", "audio");
        }
        catch (ApiErrorException ex)
        {
            throw new ApiErrorException(ex.Error with { Param = $"{path}.{ex.Error.Param}" });
        }

        // Templates know system/user/assistant/tool; OpenAI's newer "developer" role is the system prompt.
        return new ChatMessage(role == "developer" ? "system" : role, content)
        {
            ToolCalls = toolCalls is { Count: > 0 } ? toolCalls : null,
            ToolCallId = role == "tool" ? toolCallId : null,
            ReasoningContent = reasoning,
        };
    }

    private static string ParseContent(JsonElement? content, string param)
    {
        switch (content)
        {
            case null:
                throw new ApiErrorException(ApiError.Missing(param));
            case { ValueKind: JsonValueKind.String } s:
                return RequestFields.ReadString(s, param);
            case { ValueKind: JsonValueKind.Array } parts:
                var text = new StringBuilder();
                var i = 0;
                foreach (var part in parts.EnumerateArray())
                {
                    var partParam = $"{param}[{i++}]";
                    if (part.ValueKind != JsonValueKind.Object)
                    {
                        throw new ApiErrorException(ApiError.InvalidType(partParam, "an object", part.ValueKind));
                    }

                    var fields = new RequestFields(part);
                    var type = fields.String("type", 32) ?? throw new ApiErrorException(ApiError.Missing($"{partParam}.type"));
                    if (type != "text")
                    {
                        throw new ApiErrorException(ApiError.Invalid($"Content part type '{Truncate(type)}' is not supported by this server; only 'text' is.", $"{partParam}.type", "unsupported_content_type"));
                    }

                    text.Append(fields.String("text") ?? throw new ApiErrorException(ApiError.Missing($"{partParam}.text")));
                }

                return text.ToString();
            case { } other:
                throw new ApiErrorException(ApiError.InvalidType(param, "a string or an array of content parts", other.ValueKind));
        }
    }

    /// <summary>A forced tool_choice is enforced with a JSON schema, so it cannot be combined with a response_format that asks for JSON.</summary>
    private static GenerationOptions ForceToolChoice(GenerationOptions options, ToolsRequest tools)
    {
        if (options.JsonObjectOutput || options.JsonSchema is not null)
        {
            throw new ApiErrorException(ApiError.Invalid(
                "Invalid 'tool_choice': a forced tool call ('required' or a named function) is decoded as JSON for the call, which conflicts with 'response_format'. Send one of them, or use 'tool_choice': 'auto'.",
                "tool_choice", "invalid_value"));
        }

        return options with { JsonSchema = InferMesh.Gateway.Tools.ToolChoiceSchema.For(tools), JsonSchemaStrict = false, JsonSchemaFromToolChoice = true };
    }

    private static string Truncate(string s) => s.Length <= 32 ? s : s[..32] + "...";

    /// <summary>
    /// What a client sends when it wants none of these features: an empty <c>functions</c> list,
    /// <c>function_call</c> "none" or "auto", <c>modalities</c> ["text"]. Anything else (an empty <c>web_search_options</c> object turns web search on) is refused.
    /// </summary>
    private static bool AsksForNothing(string name, JsonElement value) => name switch
    {
        "functions" => value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 0,
        "function_call" => value.ValueKind == JsonValueKind.String && (value.ValueEquals("none") || value.ValueEquals("auto")),
        "modalities" => value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 1 && value[0].ValueKind == JsonValueKind.String && value[0].ValueEquals("text"),
        _ => false,
    };
}
