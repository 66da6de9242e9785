using System.Net;
using System.Text.Json;

namespace InferMesh.Gateway.Tests.Tools;

/// <summary>The tool-call parser follows the model's chat template, or the ToolCallParser setting; templates without tools refuse them.</summary>
public sealed class ToolCallFormatTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Body(string model) =>
        $$$$$$"""{"model":"{{{{{{model}}}}}}","messages":[{"role":"user","content":"Weather in Paris?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}""";

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(GatewayHost host, string model)
    {
        using var response = await host.Http.SendAsync(Requests.Post("/v1/chat/completions", Body(model)), Ct);
        return (response.StatusCode, Sse.Json(await response.Content.ReadAsStringAsync(Ct)));
    }

    [Fact]
    public async Task A_llama_3_1_template_reads_a_json_reply_as_a_call()
    {
        var engine = new ReplyScriptEngine("llama-tools", "llama-3.1-instruct.jinja") { Reply = "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}" };
        await using var host = await GatewayHost.StartAsync(engine);

        var (status, body) = await PostAsync(host, "llama-tools");

        Assert.Equal(HttpStatusCode.OK, status);
        var call = Assert.Single(body.GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls").EnumerateArray());
        Assert.Equal("{\"city\": \"Paris\"}", call.GetProperty("function").GetProperty("arguments").GetString());
        Assert.Contains("Given the following functions", engine.LastPrompt);
    }

    [Fact]
    public async Task A_mistral_template_reads_tool_calls_lists_and_gives_nine_character_ids()
    {
        var engine = new ReplyScriptEngine("mistral-tools", "mistral-instruct-v0.3.jinja") { Reply = "[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]" };
        await using var host = await GatewayHost.StartAsync(engine);

        var (status, body) = await PostAsync(host, "mistral-tools");

        Assert.Equal(HttpStatusCode.OK, status);
        var call = Assert.Single(body.GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls").EnumerateArray());
        Assert.Matches("^[A-Za-z0-9]{9}$", call.GetProperty("id").GetString());
        Assert.Contains("[AVAILABLE_TOOLS]", engine.LastPrompt);
    }

    [Fact]
    public async Task The_parser_setting_overrides_the_template_and_none_leaves_replies_as_content()
    {
        var engine = new ReplyScriptEngine("qwen-no-parse", "qwen2.5-instruct.jinja") { Reply = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n</tool_call>" };
        await using var host = await GatewayHost.StartAsync(engine, new Dictionary<string, string?> { ["InferMesh:Gateway:ToolCallParser"] = "none" });

        var (_, body) = await PostAsync(host, "qwen-no-parse");

        var choice = body.GetProperty("choices")[0];
        Assert.Equal(engine.Reply, choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task An_unknown_parser_setting_stops_the_gateway_from_starting()
    {
        var engine = new ReplyScriptEngine("qwen-bad-setting", "qwen2.5-instruct.jinja");

        var error = await Assert.ThrowsAnyAsync<Exception>(() => GatewayHost.StartAsync(engine, new Dictionary<string, string?> { ["InferMesh:Gateway:ToolCallParser"] = "hermes2" }));

        Assert.Contains("ToolCallParser must be one of", error.Message);
    }

    [Fact]
    public async Task Tools_for_a_model_whose_template_never_mentions_tools_are_a_400_saying_so()
    {
        await using var host = await GatewayHost.StartAsync(GoldenModel.Scripted());

        var (status, body) = await PostAsync(host, HostileCorpus.Model);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = body.GetProperty("error");
        Assert.Equal("tools", error.GetProperty("param").GetString());
        Assert.Contains("cannot render tools", error.GetProperty("message").GetString());
    }
}
