using System.Text.Json;
using static InferMesh.Gateway.Tests.Reasoning.ReasoningClient;

namespace InferMesh.Gateway.Tests.Reasoning;

/// <summary>
/// A session with a reasoning model renders each turn's prompt exactly as Hugging Face's apply_chat_template renders
/// the messages the client holds (Fixtures/reasoning_prompts.json, made with jinja2 by make_reasoning_prompts.py):
/// whether the client resends the reply with its content only, with its reasoning_content, or sends only the new
/// message — and the session still recognises the resent reply as its own (the question is rendered once).
/// </summary>
public sealed class ReasoningSessionTests(ReasoningGateway gateway) : IClassFixture<ReasoningGateway>
{
    private static readonly JsonElement Cases = LoadCases();

    private const string FirstQuestion = "What is 2+2?";
    private const string SecondQuestion = "And 3+3?";

    private static JsonElement LoadCases()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Fixture.GatewayFixturePath("reasoning_prompts.json")));
        return document.RootElement.GetProperty("cases").Clone();
    }

    private static string Expected(string name) => Cases.GetProperty(name).GetProperty("expected").GetString()!;

    /// <summary>Turn 1 in a new session; returns the session id and the reply's message as the client got it.</summary>
    private async Task<(string Session, JsonElement Reply)> FirstTurnAsync(string model, string rawReply)
    {
        var session = "reasoning-" + Guid.NewGuid().ToString("N");
        gateway.Engine(model).Reply = rawReply;
        var reply = await MessageAsync(gateway.Host, Body(model, User(FirstQuestion)), session);
        gateway.Engine(model).Reply = "6";
        return (session, reply);
    }

    private static string AssistantContentOnly(JsonElement reply) =>
        $$"""{"role":"assistant","content":{{JsonSerializer.Serialize(reply.GetProperty("content").GetString())}}}""";

    [Theory]
    [InlineData(ReasoningGateway.Qwen3, "<think>\nTwo and two.\n</think>\n\n4", "qwen3_history_content_only")]
    [InlineData(ReasoningGateway.R1Distill, "Two and two.\n</think>\n\n4", "r1_distill_history")]
    [InlineData(ReasoningGateway.DeepSeekR1, "<think>\nTwo and two.\n</think>\n\n4", "deepseek_r1_history")]
    [InlineData(ReasoningGateway.QwQ, "Two and two.\n</think>\n\n4", "qwq_history")]
    public async Task Resending_the_reply_as_content_only_renders_what_the_template_renders_for_those_messages(string model, string rawReply, string expected)
    {
        var (session, reply) = await FirstTurnAsync(model, rawReply);

        await MessageAsync(gateway.Host, Body(model, $"{User(FirstQuestion)},{AssistantContentOnly(reply)},{User(SecondQuestion)}"), session);

        Assert.Equal(Expected(expected), gateway.Engine(model).LastPrompt);
    }

    [Fact]
    public async Task Resending_the_reply_with_its_reasoning_renders_what_qwen3s_template_renders()
    {
        var (session, reply) = await FirstTurnAsync(ReasoningGateway.Qwen3, "<think>\nTwo and two.\n</think>\n\n4");

        await MessageAsync(gateway.Host, Body(ReasoningGateway.Qwen3, $"{User(FirstQuestion)},{reply.GetRawText()},{User(SecondQuestion)}"), session);

        Assert.Equal(Expected("qwen3_history_with_reasoning"), gateway.Engine(ReasoningGateway.Qwen3).LastPrompt);
    }

    [Theory]
    [InlineData(ReasoningGateway.Qwen3, "<think>\nTwo and two.\n</think>\n\n4", "qwen3_history_with_reasoning")]
    [InlineData(ReasoningGateway.R1Distill, "Two and two.\n</think>\n\n4", "r1_distill_history")]
    public async Task Sending_only_the_new_message_renders_the_stored_reply_as_its_content_and_reasoning(string model, string rawReply, string expected)
    {
        var (session, _) = await FirstTurnAsync(model, rawReply);

        await MessageAsync(gateway.Host, Body(model, User(SecondQuestion)), session);

        Assert.Equal(Expected(expected), gateway.Engine(model).LastPrompt);
    }

    [Fact]
    public async Task The_session_history_holds_the_reply_split_into_content_and_reasoning()
    {
        var (session, _) = await FirstTurnAsync(ReasoningGateway.Qwen3, "<think>\nTwo and two.\n</think>\n\n4");

        using var response = await gateway.Host.Http.SendAsync(Requests.Get($"/v1/sessions/{session}"), TestContext.Current.CancellationToken);
        var history = Sse.Json(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        var messages = history.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal("4", messages[^1].GetProperty("content").GetString());
        Assert.Equal("Two and two.", messages[^1].GetProperty("reasoning_content").GetString());
    }

    [Theory]
    [InlineData(true, "qwen3_tool_loop_with_reasoning")]
    [InlineData(false, "qwen3_tool_loop_content_only")]
    public async Task A_tool_loop_resent_with_or_without_reasoning_renders_what_qwen3s_template_renders(bool withReasoning, string expected)
    {
        const string weather = """{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}""";
        var tools = $"\"tools\":[{weather}]";
        var session = "reasoning-tools-" + Guid.NewGuid().ToString("N");
        var engine = gateway.Engine(ReasoningGateway.Qwen3);
        engine.Reply = "<think>\nNeed the weather.\n</think>\n\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
        var user = User("Weather in Paris?");
        var reply = await MessageAsync(gateway.Host, Body(ReasoningGateway.Qwen3, user, tools), session);
        var call = Assert.Single(reply.GetProperty("tool_calls").EnumerateArray());
        var assistant = withReasoning
            ? reply.GetRawText()
            : $$"""{"role":"assistant","content":null,"tool_calls":[{{call.GetRawText()}}]}""";
        var result = $$"""{"role":"tool","tool_call_id":"{{call.GetProperty("id").GetString()}}","content":"{\"temp\": 21}"}""";
        engine.Reply = "It is 21 degrees.";

        await MessageAsync(gateway.Host, Body(ReasoningGateway.Qwen3, $"{user},{assistant},{result}", tools), session);

        Assert.Equal(Expected(expected), engine.LastPrompt);
    }
}
