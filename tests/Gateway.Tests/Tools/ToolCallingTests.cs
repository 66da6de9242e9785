using System.Net;
using System.Text.Json;

namespace InferMesh.Gateway.Tests.Tools;

/// <summary>Tool calling through the gateway: what the template is shown, and how replies come back (JSON and SSE).</summary>
public sealed class ToolCallingTests(ToolGateway gateway) : IClassFixture<ToolGateway>
{
    private const string WeatherTool = """{"type":"function","function":{"name":"get_weather","description":"Weather in a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}""";
    private const string TimeTool = """{"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{}}}}""";
    private const string TwoCalls = "I'll check both.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Body(string extra = "", string tools = $"[{WeatherTool},{TimeTool}]") =>
        $$"""{"model":"{{ToolGateway.Model}}","messages":[{"role":"user","content":"Weather and time in Paris?"}],"tools":{{tools}}{{(extra.Length > 0 ? "," + extra : "")}}}""";

    private async Task<JsonElement> PostAsync(string body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await gateway.Host.Http.SendAsync(Requests.Post("/v1/chat/completions", body), Ct);
        var json = Sse.Json(await response.Content.ReadAsStringAsync(Ct));
        Assert.True(expected == response.StatusCode, $"{response.StatusCode}: {json}");
        return json;
    }

    [Fact]
    public async Task Calls_in_the_reply_come_back_as_tool_calls_with_finish_reason_tool_calls()
    {
        gateway.Engine.Reply = TwoCalls;

        var choice = (await PostAsync(Body())).GetProperty("choices")[0];

        var message = choice.GetProperty("message");
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        Assert.Equal("I'll check both.", message.GetProperty("content").GetString());
        var calls = message.GetProperty("tool_calls").EnumerateArray().ToList();
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.StartsWith("call_", c.GetProperty("id").GetString()));
        Assert.All(calls, c => Assert.Equal("function", c.GetProperty("type").GetString()));
        Assert.Equal("get_weather", calls[0].GetProperty("function").GetProperty("name").GetString());
        var arguments = calls[0].GetProperty("function").GetProperty("arguments");
        Assert.Equal(JsonValueKind.String, arguments.ValueKind);
        Assert.Equal("Paris", JsonDocument.Parse(arguments.GetString()!).RootElement.GetProperty("city").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_call_cut_off_by_max_tokens_finishes_with_length_so_clients_do_not_run_it(bool stream)
    {
        gateway.Engine.Reply = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Par";
        gateway.Engine.Finish = InferMesh.Engine.Serving.FinishReason.Length;
        try
        {
            using var response = await gateway.Host.Http.SendAsync(Requests.Post("/v1/chat/completions", Body(stream ? "\"stream\":true" : "")), Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("\"finish_reason\":\"length\"", text, StringComparison.Ordinal);
            Assert.DoesNotContain("\"finish_reason\":\"tool_calls\"", text, StringComparison.Ordinal);
        }
        finally
        {
            gateway.Engine.Finish = InferMesh.Engine.Serving.FinishReason.Stop;
        }
    }

    [Fact]
    public async Task A_reply_that_is_only_calls_has_null_content()
    {
        gateway.Engine.Reply = "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>";

        var message = (await PostAsync(Body())).GetProperty("choices")[0].GetProperty("message");

        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        Assert.Single(message.GetProperty("tool_calls").EnumerateArray());
    }

    [Fact]
    public async Task A_plain_reply_with_tools_offered_is_content_with_finish_reason_stop()
    {
        gateway.Engine.Reply = "It is sunny.";

        var choice = (await PostAsync(Body())).GetProperty("choices")[0];

        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal("It is sunny.", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.False(choice.GetProperty("message").TryGetProperty("tool_calls", out _));
    }

    [Fact]
    public async Task A_malformed_call_is_returned_as_content_not_an_error()
    {
        gateway.Engine.Reply = "<tool_call>\n{\"name\": \"get_weather\" \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";

        var choice = (await PostAsync(Body())).GetProperty("choices")[0];

        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(gateway.Engine.Reply, choice.GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task The_template_is_shown_every_tool()
    {
        gateway.Engine.Reply = "ok";

        await PostAsync(Body());

        Assert.Contains("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather in a city\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}\n{\"type\": \"function\", \"function\": {\"name\": \"get_time\"", gateway.Engine.LastPrompt);
    }

    [Fact]
    public async Task Tool_choice_none_renders_without_tools_and_leaves_call_like_text_as_content()
    {
        gateway.Engine.Reply = "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>";

        var choice = (await PostAsync(Body("\"tool_choice\":\"none\""))).GetProperty("choices")[0];

        Assert.DoesNotContain("<tools>", gateway.Engine.LastPrompt);
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(gateway.Engine.Reply, choice.GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_named_tool_choice_shows_the_template_only_that_function()
    {
        gateway.Engine.Reply = "ok";

        await PostAsync(Body("\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}"));

        Assert.Contains("\"name\": \"get_time\"", gateway.Engine.LastPrompt);
        Assert.DoesNotContain("get_weather", gateway.Engine.LastPrompt);
    }

    [Fact]
    public async Task Parallel_tool_calls_false_returns_only_the_first_call()
    {
        gateway.Engine.Reply = TwoCalls;

        var message = (await PostAsync(Body("\"parallel_tool_calls\":false"))).GetProperty("choices")[0].GetProperty("message");

        Assert.Equal("get_weather", Assert.Single(message.GetProperty("tool_calls").EnumerateArray()).GetProperty("function").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Streamed_tool_call_deltas_reassemble_into_the_calls_of_the_non_streamed_reply()
    {
        gateway.Engine.Reply = TwoCalls;
        var whole = (await PostAsync(Body())).GetProperty("choices")[0].GetProperty("message");

        using var response = await gateway.Host.Http.SendAsync(Requests.Post("/v1/chat/completions", Body("\"stream\":true")), Ct);
        var chunks = (await Sse.ReadAllAsync(response, Ct)).Where(e => e != "[DONE]").Select(Sse.Json).ToList();

        var content = "";
        var calls = new SortedDictionary<int, (string? Id, string? Name, string Arguments)>();
        string? finish = null;
        foreach (var choice in chunks.Select(c => c.GetProperty("choices")[0]))
        {
            var delta = choice.GetProperty("delta");
            content += delta.TryGetProperty("content", out var text) ? text.GetString() : "";
            finish ??= choice.GetProperty("finish_reason").GetString();
            foreach (var call in delta.TryGetProperty("tool_calls", out var tc) ? tc.EnumerateArray() : Enumerable.Empty<JsonElement>())
            {
                var index = call.GetProperty("index").GetInt32();
                var entry = calls.GetValueOrDefault(index, (null, null, ""));
                var function = call.GetProperty("function");
                calls[index] = (
                    entry.Id ?? (call.TryGetProperty("id", out var id) ? id.GetString() : null),
                    entry.Name ?? (function.TryGetProperty("name", out var name) ? name.GetString() : null),
                    entry.Arguments + (function.TryGetProperty("arguments", out var args) ? args.GetString() : ""));
            }
        }

        var expected = whole.GetProperty("tool_calls").EnumerateArray()
            .Select(c => (c.GetProperty("function").GetProperty("name").GetString(), c.GetProperty("function").GetProperty("arguments").GetString())).ToList();
        Assert.Equal(expected, calls.Values.Select(c => (c.Name, (string?)c.Arguments)));
        Assert.All(calls.Values, c => Assert.StartsWith("call_", c.Id));
        Assert.Equal(whole.GetProperty("content").GetString(), content.Trim());
        Assert.Equal("tool_calls", finish);
    }

    [Fact]
    public async Task A_streamed_plain_reply_with_tools_offered_arrives_whole_as_content()
    {
        gateway.Engine.Reply = "Sunny, 3 < 4 and <b>bold</b>.";

        using var response = await gateway.Host.Http.SendAsync(Requests.Post("/v1/chat/completions", Body("\"stream\":true")), Ct);
        var choices = (await Sse.ReadAllAsync(response, Ct)).Where(e => e != "[DONE]").Select(e => Sse.Json(e).GetProperty("choices")[0]).ToList();

        Assert.Equal(gateway.Engine.Reply, string.Concat(choices.Select(c => c.GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : "")));
        Assert.Equal("stop", choices[^1].GetProperty("finish_reason").GetString());
    }
}
