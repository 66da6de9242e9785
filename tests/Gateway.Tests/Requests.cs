using System.Net.Http.Headers;
using System.Text;

namespace InferMesh.Gateway.Tests;

/// <summary>Builds raw HTTP requests to the gateway.</summary>
internal static class Requests
{
    public static HttpRequestMessage Post(string path, string json, string? key = GatewayHost.AliceKey, string? session = null)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (session is not null)
        {
            message.Headers.Add("X-Session-Id", session);
        }

        return message;
    }

    public static HttpRequestMessage Get(string path, string? key = GatewayHost.AliceKey)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return message;
    }

    public static string Chat(string content, int maxTokens, string extra = "", string model = HostileCorpus.Model) =>
        $$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{content}}"}],"max_tokens":{{maxTokens}}{{(extra.Length > 0 ? "," + extra : "")}}}""";
}
