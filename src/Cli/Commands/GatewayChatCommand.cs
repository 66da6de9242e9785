using System.CommandLine;
using System.Text;
using InferMesh.Cli.Cluster;

namespace InferMesh.Cli.Commands;

/// <summary>
/// <c>infermesh chat-gateway</c>: a terminal conversation through a running gateway, kept in one server-side session
/// (only the new message is sent each turn; the session's KV stays resident on its silo).
/// </summary>
internal static class GatewayChatCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "gateway base URL", DefaultValueFactory = _ => "http://localhost:8080/v1" };
        var model = new Option<string?>("--model", "-m") { Description = "model id (default: the gateway's first model)" };
        var apiKey = new Option<string?>("--api-key") { Description = "Bearer key, if the gateway requires one" };
        var session = new Option<string?>("--session") { Description = "session id to continue (default: a new one)" };
        var system = new Option<string?>("--system") { Description = "system prompt" };
        var maxTokens = new Option<int>("--max-tokens", "-n") { DefaultValueFactory = _ => 256 };
        var temperature = new Option<float>("--temperature", "-t") { DefaultValueFactory = _ => 0.7f };
        var command = new Command("chat-gateway", "chat in the terminal through a running InferMesh gateway, in one session (empty line quits)")
        {
            url, model, apiKey, session, system, maxTokens, temperature,
        };
        command.SetAction(async (result, ct) =>
        {
            var baseUrl = new Uri(result.GetValue(url)!.TrimEnd('/') + "/");
            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            var key = result.GetValue(apiKey);
            var modelId = result.GetValue(model) ?? await FirstModelAsync(http, baseUrl, key, ct);
            var sessionId = result.GetValue(session) ?? Guid.NewGuid().ToString("N");
            var client = new GatewayClient(http, baseUrl, key);
            Console.Error.WriteLine($"[infermesh] model {modelId}, session {sessionId}");
            var pending = new List<(string Role, string Content)>();
            if (result.GetValue(system) is { Length: > 0 } sys)
            {
                pending.Add(("system", sys));
            }

            while (!ct.IsCancellationRequested)
            {
                Console.Write("you> ");
                var line = Console.ReadLine();
                if (string.IsNullOrWhiteSpace(line))
                {
                    break;
                }

                pending.Add(("user", line));
                Console.Write("model> ");
                var reply = new StringBuilder();
                await foreach (var piece in client.StreamChatAsync(modelId, pending, sessionId, result.GetValue(maxTokens), result.GetValue(temperature), ignoreEos: false, ct))
                {
                    Console.Write(piece.Text);
                    reply.Append(piece.Text);
                }

                Console.WriteLine();
                pending.Clear(); // the session holds the history; send only what is new
            }

            return 0;
        });
        return command;
    }

    internal static async Task<string> FirstModelAsync(HttpClient http, Uri baseUrl, string? apiKey, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUrl, "models"));
        if (apiKey is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        }

        using var response = await http.SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        foreach (var m in json.RootElement.GetProperty("data").EnumerateArray())
        {
            return m.GetProperty("id").GetString()!;
        }

        throw new InvalidOperationException($"the gateway at {baseUrl} serves no model yet");
    }
}
