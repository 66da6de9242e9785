using System.Net;
using System.Text.Json;

namespace InferMesh.Gateway.Tests.Reasoning;

/// <summary>Raw chat requests to a <see cref="ReasoningGateway"/>: whole replies as JSON, streamed ones as their chunks.</summary>
internal static class ReasoningClient
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static string Body(string model, string messages, string extra = "") =>
        $$"""{"model":"{{model}}","messages":[{{messages}}]{{(extra.Length > 0 ? "," + extra : "")}}}""";

    public static string User(string text) => $$"""{"role":"user","content":{{JsonSerializer.Serialize(text)}}}""";

    public static async Task<JsonElement> PostAsync(GatewayHost host, string body, string? session = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await host.Http.SendAsync(Requests.Post("/v1/chat/completions", body, session: session), Ct);
        var json = Sse.Json(await response.Content.ReadAsStringAsync(Ct));
        Assert.True(expected == response.StatusCode, $"{response.StatusCode}: {json}");
        return json;
    }

    /// <summary>The first choice's message of a whole reply.</summary>
    public static async Task<JsonElement> MessageAsync(GatewayHost host, string body, string? session = null) =>
        (await PostAsync(host, body, session)).GetProperty("choices")[0].GetProperty("message");

    /// <summary>Every chunk's first choice's delta of a streamed reply, in order.</summary>
    public static async Task<List<JsonElement>> DeltasAsync(GatewayHost host, string body)
    {
        using var response = await host.Http.SendAsync(Requests.Post("/v1/chat/completions", body), HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var deltas = new List<JsonElement>();
        foreach (var data in await Sse.ReadAllAsync(response, Ct))
        {
            if (data != "[DONE]" && Sse.Json(data).GetProperty("choices") is { ValueKind: JsonValueKind.Array } choices && choices.GetArrayLength() > 0)
            {
                deltas.Add(choices[0].GetProperty("delta"));
            }
        }

        return deltas;
    }

    /// <summary>The text of one field over all deltas that carry it.</summary>
    public static string Joined(IEnumerable<JsonElement> deltas, string field) =>
        string.Concat(deltas.Select(d => d.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : ""));

    public static string? StringOrNull(JsonElement message, string field) =>
        message.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
