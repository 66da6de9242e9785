using System.Net;
using System.Text.Json;

namespace InferMesh.Gateway.Tests;

/// <summary>
/// Hostile tool-calling input through the gateway: requests whose tools or earlier calls hold strings that are not
/// Unicode are 400s naming the field; replies that crash a parser or merely look like calls come back as content.
/// </summary>
public sealed class ToolHostileInputTests(ToolGateway gateway) : IClassFixture<ToolGateway>
{
    private const string WeatherTool = """{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}""";
    private const string TimeTool = """{"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{}}}}""";
    private const string UserTurn = """{"role":"user","content":"Weather in Paris?"}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Body(string messages = $"[{UserTurn}]", string tools = $"[{WeatherTool},{TimeTool}]", string extra = "", string model = ToolGateway.Model) =>
        $$"""{"model":"{{model}}","messages":{{messages}},"tools":{{tools}}{{(extra.Length > 0 ? "," + extra : "")}}}""";

    private static string AssistantCall(string toolCalls) =>
        $$"""[{{UserTurn}},{"role":"assistant","content":null,"tool_calls":{{toolCalls}}},{"role":"tool","tool_call_id":"call_1","content":"sunny"}]""";

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(GatewayHost host, string body)
    {
        using var response = await host.Http.SendAsync(Requests.Post("/v1/chat/completions", body), Ct);
        return (response.StatusCode, Sse.Json(await response.Content.ReadAsStringAsync(Ct)));
    }

    private static async Task<List<string>> StreamAsync(GatewayHost host, string body)
    {
        using var response = await host.Http.SendAsync(Requests.Post("/v1/chat/completions", body), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await Sse.ReadAllAsync(response, Ct);
    }

    private static void AssertError(HttpStatusCode status, JsonElement body, string code, string param)
    {
        Assert.True(status == HttpStatusCode.BadRequest, $"{status}: {body}");
        var error = body.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
    }

    [Theory]
    [InlineData("""{"type":"object","description":"\ud800"}""")]
    [InlineData("""{"type":"object","properties":{"\udc00x":{"type":"string"}}}""")]
    [InlineData("""{"type":"object","enum":[["deep","\ud83d"]]}""")]
    public async Task A_tool_schema_with_a_lone_surrogate_escape_is_a_400_naming_the_parameters(string schema)
    {
        var tools = $$$"""[{{{WeatherTool}}},{"type":"function","function":{"name":"f","parameters":{{{schema}}}}}]""";

        var (status, body) = await PostAsync(gateway.Host, Body(tools: tools));

        // A lone surrogate in a field name is caught where the body is read, with the path of the object holding it.
        Assert.True(status == HttpStatusCode.BadRequest, $"{status}: {body}");
        Assert.Equal("invalid_unicode", body.GetProperty("error").GetProperty("code").GetString());
        Assert.StartsWith("tools[1].function.parameters", body.GetProperty("error").GetProperty("param").GetString());
    }

    [Theory]
    [InlineData("""{\"a\":\"\\ud800\"}""")]
    [InlineData("""{\"\\udfff\":1}""")]
    [InlineData("""{\"a\":[{\"b\":\"x\\ud800y\"}]}""")]
    public async Task Call_arguments_with_a_lone_surrogate_escape_are_a_400_naming_the_arguments(string arguments)
    {
        var messages = AssistantCall($$$"""[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{{{arguments}}}"}}]""");

        var (status, body) = await PostAsync(gateway.Host, Body(messages));

        AssertError(status, body, "invalid_unicode", "messages[1].tool_calls[0].function.arguments");
    }

    [Fact]
    public async Task Call_arguments_with_a_surrogate_pair_escape_are_accepted()
    {
        gateway.Engine.Reply = "It is sunny.";
        var messages = AssistantCall("""[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"\\ud83d\\ude00\"}"}}]""");

        var (status, body) = await PostAsync(gateway.Host, Body(messages));

        Assert.True(status == HttpStatusCode.OK, $"{status}: {body}");
    }

    [Fact]
    public async Task An_assistant_message_with_an_empty_tool_calls_array_is_a_400_naming_it()
    {
        var messages = $$"""[{{UserTurn}},{"role":"assistant","content":"ok","tool_calls":[]},{"role":"user","content":"and?"}]""";

        var (status, body) = await PostAsync(gateway.Host, Body(messages));

        AssertError(status, body, "empty_array", "messages[1].tool_calls");
    }

    [Theory]
    [InlineData("<tool_call>{\"name\": \"\\ud800\", \"arguments\": {}}</tool_call>")]
    [InlineData("<tool_call>{\"name\": \"get_weather\", \"arguments\": \"{\\\"\\\\ud800\\\": 1}\"}</tool_call>")]
    public async Task A_reply_call_with_a_lone_surrogate_escape_is_content(string reply)
    {
        gateway.Engine.Reply = reply;

        var (status, body) = await PostAsync(gateway.Host, Body());

        Assert.True(status == HttpStatusCode.OK, $"{status}: {body}");
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(reply, choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task A_lone_surrogate_escape_in_an_arguments_object_reaches_the_client_as_written()
    {
        // The call's header went out (streamed) when its arguments began, so the call stands; the escape is plain JSON text.
        gateway.Engine.Reply = "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"\\udc00\"}}</tool_call>";

        var (status, body) = await PostAsync(gateway.Host, Body());

        Assert.True(status == HttpStatusCode.OK, $"{status}: {body}");
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("{\"city\": \"\\udc00\"}", choice.GetProperty("message").GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString());
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task A_streamed_reply_call_with_a_lone_surrogate_escape_is_content_and_ends_with_done()
    {
        const string reply = "<tool_call>{\"name\": \"\\ud800\", \"arguments\": {}}</tool_call>";
        gateway.Engine.Reply = reply;

        var events = await StreamAsync(gateway.Host, Body(extra: "\"stream\":true"));

        Assert.Equal("[DONE]", events[^1]);
        var choices = events[..^1].Select(e => Sse.Json(e)).Select(e => e.GetProperty("choices")[0]).ToList();
        Assert.Equal(reply, string.Concat(choices.Select(c => c.GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : "")));
        Assert.Equal("stop", choices[^1].GetProperty("finish_reason").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_hermes_call_to_a_function_the_request_did_not_offer_is_content(bool stream)
    {
        const string reply = "<tool_call>\n{\"name\": \"delete_everything\", \"arguments\": {}}\n</tool_call>";
        gateway.Engine.Reply = reply;

        var (content, finish) = await ReplyAsync(gateway.Host, Body(extra: $"\"stream\":{(stream ? "true" : "false")}"), stream);

        Assert.Equal(reply, content);
        Assert.Equal("stop", finish);
    }

    [Fact]
    public async Task With_tool_choice_naming_one_function_a_call_to_another_tool_is_content()
    {
        const string reply = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
        gateway.Engine.Reply = reply;

        var (content, finish) = await ReplyAsync(gateway.Host, Body(extra: "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}"), stream: false);

        Assert.Equal(reply, content);
        Assert.Equal("stop", finish);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_llama_json_reply_that_is_a_record_with_a_name_is_content(bool stream)
    {
        const string reply = "{\"name\": \"Alice\", \"age\": 3}";
        var engine = new ReplyScriptEngine("llama-hostile", "llama-3.1-instruct.jinja") { Reply = reply };
        await using var host = await GatewayHost.StartAsync(engine);

        var (content, finish) = await ReplyAsync(host, Body(model: "llama-hostile", extra: $"\"stream\":{(stream ? "true" : "false")}"), stream);

        Assert.Equal(reply, content);
        Assert.Equal("stop", finish);
    }

    [Fact]
    public async Task A_llama_json_reply_naming_an_offered_function_without_parameters_is_content()
    {
        const string reply = "{\"name\": \"get_time\"}";
        var engine = new ReplyScriptEngine("llama-no-params", "llama-3.1-instruct.jinja") { Reply = reply };
        await using var host = await GatewayHost.StartAsync(engine);

        var (content, finish) = await ReplyAsync(host, Body(model: "llama-no-params"), stream: false);

        Assert.Equal(reply, content);
        Assert.Equal("stop", finish);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_mistral_reply_that_is_a_bare_object_with_a_name_is_content(bool stream)
    {
        const string reply = "{\"name\": \"Alice\", \"arguments\": {}}";
        var engine = new ReplyScriptEngine("mistral-hostile", "mistral-instruct-v0.3.jinja") { Reply = reply };
        await using var host = await GatewayHost.StartAsync(engine);

        var (content, finish) = await ReplyAsync(host, Body(model: "mistral-hostile", extra: $"\"stream\":{(stream ? "true" : "false")}"), stream);

        Assert.Equal(reply, content);
        Assert.Equal("stop", finish);
    }

    [Fact]
    public async Task A_streamed_mistral_bare_call_object_comes_back_as_a_call_like_the_non_streamed_one()
    {
        var engine = new ReplyScriptEngine("mistral-bare", "mistral-instruct-v0.3.jinja") { Reply = "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}" };
        await using var host = await GatewayHost.StartAsync(engine);

        var (_, whole) = await ReplyAsync(host, Body(model: "mistral-bare"), stream: false);
        var (_, streamed) = await ReplyAsync(host, Body(model: "mistral-bare", extra: "\"stream\":true"), stream: true);

        Assert.Equal("tool_calls", whole);
        Assert.Equal(whole, streamed);
    }

    /// <summary>The reply's content (null when none) and finish_reason, from the JSON answer or the joined stream.</summary>
    private static async Task<(string? Content, string? Finish)> ReplyAsync(GatewayHost host, string body, bool stream)
    {
        if (!stream)
        {
            var (status, json) = await PostAsync(host, body);
            Assert.True(status == HttpStatusCode.OK, $"{status}: {json}");
            var choice = json.GetProperty("choices")[0];
            return (choice.GetProperty("message").GetProperty("content").GetString(), choice.GetProperty("finish_reason").GetString());
        }

        var events = await StreamAsync(host, body);
        Assert.Equal("[DONE]", events[^1]);
        var choices = events[..^1].Select(e => Sse.Json(e).GetProperty("choices")[0]).ToList();
        var content = string.Concat(choices.Select(c => c.GetProperty("delta").TryGetProperty("content", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : ""));
        return (content, choices[^1].GetProperty("finish_reason").GetString());
    }
}
