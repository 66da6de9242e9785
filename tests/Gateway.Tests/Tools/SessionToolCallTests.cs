using System.Net;
using System.Text.Json;

namespace InferMesh.Gateway.Tests.Tools;

/// <summary>
/// A session client that resends the whole history after a tool call (as agent frameworks do): the assistant's turn
/// comes back as <c>tool_calls</c>, not the raw reply the session stored, and must still be recognised, so the engine
/// sees the conversation once with the tool result after the call.
/// </summary>
public sealed class SessionToolCallTests(ToolGateway qwen, MistralToolGateway mistral) : IClassFixture<ToolGateway>, IClassFixture<MistralToolGateway>
{
    private const string Question = "Weather in Paris?";
    private const string WeatherTool = """{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Body(string model, string messages) =>
        $$"""{"model":"{{model}}","messages":[{{messages}}],"tools":[{{WeatherTool}}]}""";

    private static async Task<JsonElement> PostAsync(GatewayHost host, string session, string body)
    {
        using var response = await host.Http.SendAsync(Requests.Post("/v1/chat/completions", body, session: session), Ct);
        var json = Sse.Json(await response.Content.ReadAsStringAsync(Ct));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {json}");
        return json.GetProperty("choices")[0].GetProperty("message");
    }

    /// <summary>Turn 1 (the question, answered with a call), then turn 2: the whole history as the client holds it plus a result for each call.</summary>
    private static async Task<(string FirstPrompt, JsonElement Call)> CallThenResendAsync(GatewayHost host, ReplyScriptEngine engine, string rawReply, string result)
    {
        var session = "tools-" + Guid.NewGuid().ToString("N");
        var user = $$"""{"role":"user","content":"{{Question}}"}""";
        engine.Reply = rawReply;
        var assistant = await PostAsync(host, session, Body(engine.ModelName, user));
        var firstPrompt = engine.LastPrompt;
        var call = Assert.Single(assistant.GetProperty("tool_calls").EnumerateArray());

        engine.Reply = "It is 21 degrees.";
        var tool = $$"""{"role":"tool","tool_call_id":"{{call.GetProperty("id").GetString()}}","content":{{JsonSerializer.Serialize(result)}}}""";
        await PostAsync(host, session, Body(engine.ModelName, $"{user},{assistant.GetRawText()},{tool}"));
        return (firstPrompt, call);
    }

    private static int Occurrences(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    [Fact]
    public async Task Resending_the_whole_history_after_a_call_renders_the_conversation_once_with_the_result_after_the_call()
    {
        const string rawReply = "I'll check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";

        var (firstPrompt, _) = await CallThenResendAsync(qwen.Host, qwen.Engine, rawReply, "{\"temp\": 21}");

        Assert.Equal(firstPrompt + rawReply + "<|im_end|>\n<|im_start|>user\n<tool_response>\n{\"temp\": 21}\n</tool_response><|im_end|>\n<|im_start|>assistant\n", qwen.Engine.LastPrompt);
        Assert.Equal(1, Occurrences(qwen.Engine.LastPrompt, Question));
    }

    [Fact]
    public async Task The_tool_result_resent_after_a_call_names_the_id_the_client_was_given()
    {
        const string rawReply = "[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]";

        var (_, call) = await CallThenResendAsync(mistral.Host, mistral.Engine, rawReply, "{\"temp\": 21}");

        var id = call.GetProperty("id").GetString();
        Assert.Matches("^[A-Za-z0-9]{9}$", id);
        Assert.EndsWith($"[TOOL_RESULTS] {{\"content\": {{\"temp\": 21}}, \"call_id\": \"{id}\"}}[/TOOL_RESULTS]", mistral.Engine.LastPrompt);
        Assert.Equal(1, Occurrences(mistral.Engine.LastPrompt, Question));
        Assert.Equal(1, Occurrences(mistral.Engine.LastPrompt, "\"name\": \"get_weather\", \"arguments\""));
    }
}
