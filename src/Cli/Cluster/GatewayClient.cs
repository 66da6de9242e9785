using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace InferMesh.Cli.Cluster;

/// <summary>A minimal streaming client of an OpenAI-compatible <c>/v1/chat/completions</c> (SSE), with an InferMesh session.</summary>
internal sealed class GatewayClient(HttpClient http, Uri baseUrl, string? apiKey)
{
    public async IAsyncEnumerable<StreamedPiece> StreamChatAsync(
        string model,
        IReadOnlyList<(string Role, string Content)> messages,
        string? sessionId,
        int maxTokens,
        float temperature,
        bool ignoreEos,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "chat/completions"))
        {
            Content = new StringContent(Body(model, messages, maxTokens, temperature, ignoreEos), Encoding.UTF8, "application/json"),
        };
        if (apiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        if (sessionId is not null)
        {
            request.Headers.Add("X-Session-Id", sessionId);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{(int)response.StatusCode} from {request.RequestUri}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
            {
                continue;
            }

            var data = line.AsMemory(6);
            if (data.Span.SequenceEqual("[DONE]"))
            {
                yield break;
            }

            using var json = JsonDocument.Parse(data);
            var root = json.RootElement;
            if (root.TryGetProperty("error", out var error))
            {
                throw new HttpRequestException($"the gateway reported an error mid-stream: {error}");
            }

            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                yield return new StreamedPiece("", usage.GetProperty("completion_tokens").GetInt32(), usage.GetProperty("prompt_tokens").GetInt32(),
                    usage.TryGetProperty("prompt_tokens_details", out var d) && d.TryGetProperty("cached_tokens", out var c) ? c.GetInt32() : 0);
            }

            foreach (var choice in root.GetProperty("choices").EnumerateArray())
            {
                if (choice.GetProperty("delta").TryGetProperty("content", out var content) && content.GetString() is { Length: > 0 } text)
                {
                    yield return new StreamedPiece(text, null, null, null);
                }
            }
        }
    }

    private static string Body(string model, IReadOnlyList<(string Role, string Content)> messages, int maxTokens, float temperature, bool ignoreEos)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", model);
            json.WriteStartArray("messages");
            foreach (var (role, content) in messages)
            {
                json.WriteStartObject();
                json.WriteString("role", role);
                json.WriteString("content", content);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteNumber("max_tokens", maxTokens);
            json.WriteNumber("temperature", temperature);
            json.WriteBoolean("stream", true);
            json.WriteStartObject("stream_options");
            json.WriteBoolean("include_usage", true);
            json.WriteEndObject();
            if (ignoreEos)
            {
                json.WriteBoolean("ignore_eos", true);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
