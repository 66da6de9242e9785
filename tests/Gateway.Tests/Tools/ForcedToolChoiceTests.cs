using System.Net;
using System.Text.Json;
using InferMesh.Engine.Sampling;

namespace InferMesh.Gateway.Tests.Tools;

/// <summary>
/// tool_choice "required" and a named function, enforced with a JSON schema: what the engine is asked to decode, and how
/// a reply of that shape comes back (scripted replies; the real engine's are in <see cref="ForcedToolChoiceEngineTests"/>).
/// </summary>
public sealed class ForcedToolChoiceTests(ToolGateway gateway) : IClassFixture<ToolGateway>
{
    private const string WeatherTool = """{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string","minLength":1},"when":{"type":"string","format":"date"}},"required":["city"]}}}""";
    private const string TimeTool = """{"type":"function","function":{"name":"get_time"}}""";
    private const string Named = "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}";
    private const string Required = "\"tool_choice\":\"required\"";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Body(string extra, string tools = $"[{WeatherTool},{TimeTool}]") =>
        $$"""{"model":"{{ToolGateway.Model}}","messages":[{"role":"user","content":"Weather in Paris?"}],"tools":{{tools}},{{extra}}}""";

    private async Task<JsonElement> PostAsync(string body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await gateway.Host.Http.SendAsync(Requests.Post("/v1/chat/completions", body), Ct);
        var json = Sse.Json(await response.Content.ReadAsStringAsync(Ct));
        Assert.True(expected == response.StatusCode, $"{response.StatusCode}: {json}");
        return json;
    }

    private CompiledJsonSchema Constraint() =>
        gateway.Engine.LastRequest?.OutputSchema ?? throw new InvalidOperationException("the engine was asked for no JSON schema");

    [Fact]
    public async Task A_named_function_constrains_the_reply_to_its_parameters_and_the_reply_is_its_arguments()
    {
        gateway.Engine.Reply = """{"city": "Paris"}""";

        var choice = (await PostAsync(Body(Named))).GetProperty("choices")[0];

        Assert.Equal(OutputFormat.JsonSchema, gateway.Engine.LastRequest!.OutputFormat);
        Assert.True(new JsonSchemaCursor(Constraint()).Feed("""{"city": "Rome", "when": "soon"}"""u8));
        Assert.False(new JsonSchemaCursor(Constraint()).Feed("""{"city": 5"""u8));
        var message = choice.GetProperty("message");
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        var call = Assert.Single(message.GetProperty("tool_calls").EnumerateArray().ToList());
        Assert.StartsWith("call_", call.GetProperty("id").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("""{"city": "Paris"}""", call.GetProperty("function").GetProperty("arguments").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task A_named_function_without_parameters_constrains_the_reply_to_an_object()
    {
        gateway.Engine.Reply = "{}";

        var call = (await PostAsync(Body("\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}"))).GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls")[0];

        Assert.True(new JsonSchemaCursor(Constraint()).Feed("""{"any": [1]}"""u8));
        Assert.False(new JsonSchemaCursor(Constraint()).Feed("[]"u8));
        Assert.Equal("get_time", call.GetProperty("function").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Required_follows_tools_whose_parameters_use_their_own_defs()
    {
        // Pydantic writes nested models as $defs; in the combined schema they move to the root with the refs rewritten.
        const string OrderTool = """{"type":"function","function":{"name":"order","parameters":{"$defs":{"Item":{"type":"object","properties":{"sku":{"type":"string"},"qty":{"type":"integer"}},"required":["sku","qty"],"additionalProperties":false}},"type":"object","properties":{"items":{"type":"array","items":{"$ref":"#/$defs/Item"}}},"required":["items"]}}}""";
        gateway.Engine.Reply = """[{"name": "order", "parameters": {"items": [{"sku": "a1", "qty": 2}]}}]""";

        await PostAsync(Body(Required, $"[{OrderTool},{TimeTool}]"));

        Assert.True(new JsonSchemaCursor(Constraint()).Feed("""[{"name": "order", "parameters": {"items": [{"sku": "a1", "qty": 2}]}}]"""u8));
        Assert.False(new JsonSchemaCursor(Constraint()).Feed("""[{"name": "order", "parameters": {"items": [{"sku": "a1", "qty": "two"""u8));
    }

    [Fact]
    public async Task A_required_reply_naming_a_lone_surrogate_is_content_not_an_error()
    {
        // Decoded unconstrained (a silo that could not follow the schema): the reply's name is no string at all.
        gateway.Engine.Reply = """[{"name": "\ud800", "parameters": {}}]""";

        var choice = (await PostAsync(Body(Required))).GetProperty("choices")[0];

        Assert.False(choice.GetProperty("message").TryGetProperty("tool_calls", out _));
        Assert.Equal(gateway.Engine.Reply, choice.GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task Required_constrains_the_reply_to_a_list_of_calls_and_each_item_is_a_call()
    {
        gateway.Engine.Reply = """[{"name": "get_weather", "parameters": {"city": "Paris"}}, {"name": "get_time", "parameters": {}}]""";

        var choice = (await PostAsync(Body(Required))).GetProperty("choices")[0];

        Assert.True(new JsonSchemaCursor(Constraint()).Feed("""[{"name": "get_time", "parameters": {}}, {"name": "get_weather", "parameters": {"city": "x"}}]"""u8));
        Assert.False(new JsonSchemaCursor(Constraint()).Feed("[]"u8));
        Assert.False(new JsonSchemaCursor(Constraint()).Feed("""[{"name": "get_mail", """u8));
        Assert.False(new JsonSchemaCursor(Constraint()).Feed("""[{"name": "get_weather", "parameters": {"city": 1"""u8));
        var calls = choice.GetProperty("message").GetProperty("tool_calls").EnumerateArray().ToList();
        Assert.Equal(["get_weather", "get_time"], calls.Select(c => c.GetProperty("function").GetProperty("name").GetString()));
        Assert.Equal("Paris", JsonDocument.Parse(calls[0].GetProperty("function").GetProperty("arguments").GetString()!).RootElement.GetProperty("city").GetString());
        // vLLM answers "tool_calls" under "required" (and "stop" for a named function).
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Required_without_parallel_tool_calls_allows_exactly_one_call()
    {
        gateway.Engine.Reply = """[{"name": "get_time", "parameters": {}}]""";

        var calls = (await PostAsync(Body(Required + ",\"parallel_tool_calls\":false"))).GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls");

        Assert.Equal(1, calls.GetArrayLength());
        Assert.False(new JsonSchemaCursor(Constraint()).Feed("""[{"name": "get_time", "parameters": {}}, """u8));
    }

    [Fact]
    public async Task Required_with_more_tools_than_anyOf_branches_names_them_in_an_enum()
    {
        var tools = "[" + string.Join(",", Enumerable.Range(0, InferMesh.Gateway.Tools.ToolChoiceSchema.MaxBranches + 1).Select(i => "{\"type\":\"function\",\"function\":{\"name\":\"f" + i + "\",\"parameters\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"integer\"}}}}}")) + "]";
        gateway.Engine.Reply = """[{"name": "f8", "parameters": {"x": 1}}]""";

        var call = (await PostAsync(Body(Required, tools))).GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls")[0];

        Assert.Equal("f8", call.GetProperty("function").GetProperty("name").GetString());
        Assert.True(new JsonSchemaCursor(Constraint()).Feed("""[{"name": "f0", "parameters": {"x": "any object"}}]"""u8));
        Assert.False(new JsonSchemaCursor(Constraint()).Feed("""[{"name": "f99"""u8));
    }

    [Fact]
    public async Task A_tool_schema_the_decoder_cannot_follow_leaves_the_reply_unconstrained_and_read_as_before()
    {
        const string tool = """{"type":"function","function":{"name":"pick","parameters":{"type":"object","properties":{"v":{"oneOf":[{"type":"string"},{"type":"integer"}]}}}}}""";
        gateway.Engine.Reply = "<tool_call>\n{\"name\": \"pick\", \"arguments\": {\"v\": 1}}\n</tool_call>";

        var choice = (await PostAsync(Body("\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"pick\"}}", $"[{tool}]"))).GetProperty("choices")[0];

        Assert.Null(gateway.Engine.LastRequest!.OutputSchema);
        Assert.Equal(OutputFormat.Text, gateway.Engine.LastRequest.OutputFormat);
        Assert.Equal("pick", choice.GetProperty("message").GetProperty("tool_calls")[0].GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
    }

    [Theory]
    [InlineData(Named)]
    [InlineData(Required)]
    public async Task A_forced_tool_choice_with_a_json_response_format_is_refused_naming_tool_choice(string choice)
    {
        var error = (await PostAsync(Body(choice + ",\"response_format\":{\"type\":\"json_object\"}"), HttpStatusCode.BadRequest)).GetProperty("error");

        Assert.Equal("tool_choice", error.GetProperty("param").GetString());
        Assert.Contains("response_format", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tool_choice_auto_with_a_json_response_format_is_accepted()
    {
        gateway.Engine.Reply = "{}";

        var message = (await PostAsync(Body("\"tool_choice\":\"auto\",\"response_format\":{\"type\":\"json_object\"}"))).GetProperty("choices")[0].GetProperty("message");

        Assert.Equal("{}", message.GetProperty("content").GetString());
    }

    [Theory]
    [InlineData(Named, """{"city": "Paris"}""")]
    [InlineData(Required, """[{"name": "get_weather", "parameters": {"city": "Paris"}}, {"name": "get_time", "parameters": {}}]""")]
    public async Task A_streamed_forced_reply_sends_no_content_and_ends_with_the_same_calls(string choice, string reply)
    {
        gateway.Engine.Reply = reply;
        var whole = (await PostAsync(Body(choice))).GetProperty("choices")[0];

        using var response = await gateway.Host.Http.SendAsync(Requests.Post("/v1/chat/completions", Body(choice + ",\"stream\":true")), Ct);
        var events = (await Sse.ReadAllAsync(response, Ct)).Where(e => e != "[DONE]").Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices")[0]).ToList();

        Assert.All(events.Skip(1), e => Assert.False(e.GetProperty("delta").TryGetProperty("content", out var c) && c.GetString()!.Length > 0));
        var streamed = events.SelectMany(e => e.GetProperty("delta").TryGetProperty("tool_calls", out var t) ? t.EnumerateArray() : []).ToList();
        var names = streamed.Where(c => c.GetProperty("function").TryGetProperty("name", out _)).Select(c => c.GetProperty("function").GetProperty("name").GetString());
        var arguments = streamed.GroupBy(c => c.GetProperty("index").GetInt32()).Select(g => string.Concat(g.Select(c => c.GetProperty("function").GetProperty("arguments").GetString())));
        var calls = whole.GetProperty("message").GetProperty("tool_calls").EnumerateArray().ToList();
        Assert.Equal(calls.Select(c => c.GetProperty("function").GetProperty("name").GetString()), names);
        Assert.Equal(calls.Select(c => c.GetProperty("function").GetProperty("arguments").GetString()), arguments);
        Assert.Equal(whole.GetProperty("finish_reason").GetString(), events[^1].GetProperty("finish_reason").GetString());
    }
}
