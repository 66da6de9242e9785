using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace InferMesh.Gateway.Tests.Tools;

/// <summary>
/// Tool-calling requests sent to the gateway reach the engine as the prompt real jinja2 renders from them with the
/// same template (Fixtures/tool_prompts.json, made by Fixtures/make_tool_prompts.py): tools, assistant tool_calls and
/// tool messages arrive in the template in the shape Hugging Face templates expect.
/// </summary>
public sealed class ToolPromptReferenceTests
{
    private static readonly Dictionary<string, JsonElement> Cases = Load();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Names() => new(Cases.Keys);

    private static Dictionary<string, JsonElement> Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Fixture.GatewayFixturePath("tool_prompts.json")));
        return document.RootElement.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task The_engine_receives_the_prompt_jinja2_renders(string name)
    {
        var testCase = Cases[name];
        var engine = new ReplyScriptEngine("reference-" + name.Replace('_', '-'), testCase.GetProperty("template_file").GetString()!);
        await using var host = await GatewayHost.StartAsync(engine);
        var request = JsonNode.Parse(testCase.GetProperty("request").GetRawText())!.AsObject();
        request["model"] = engine.ModelName;
        request["max_tokens"] = 4;

        using var response = await host.Http.SendAsync(Requests.Post("/v1/chat/completions", request.ToJsonString()), Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(testCase.GetProperty("expected").GetString(), engine.LastPrompt);
    }
}
