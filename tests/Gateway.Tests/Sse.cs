using System.Text.Json;

namespace InferMesh.Gateway.Tests;

/// <summary>Reads a server-sent-events response into its data payloads.</summary>
internal static class Sse
{
    public static async Task<List<string>> ReadAllAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var events = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add(line[6..]);
            }
        }

        return events;
    }

    public static JsonElement Json(string data)
    {
        using var doc = JsonDocument.Parse(data);
        return doc.RootElement.Clone();
    }
}
