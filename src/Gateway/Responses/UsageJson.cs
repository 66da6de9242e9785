using System.Text.Json;

namespace InferMesh.Gateway.Responses;

/// <summary>
/// OpenAI's usage object, with cached prompt tokens in prompt_tokens_details, plus two InferMesh fields there:
/// <c>reused_chunk_tokens</c> (the part of cached_tokens placed from document chunk caches) and
/// <c>computed_tokens</c> (prompt tokens the engine computed: prompt_tokens − cached_tokens).
/// </summary>
public static class UsageJson
{
    public static void Write(Utf8JsonWriter json, ChoiceAccumulator usage)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", usage.PromptTokens);
        json.WriteNumber("completion_tokens", usage.CompletionTokens);
        json.WriteNumber("total_tokens", usage.PromptTokens + usage.CompletionTokens);
        json.WriteStartObject("prompt_tokens_details");
        json.WriteNumber("cached_tokens", usage.CachedPromptTokens);
        json.WriteNumber("reused_chunk_tokens", usage.ReusedChunkTokens);
        json.WriteNumber("computed_tokens", usage.PromptTokens - usage.CachedPromptTokens);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
