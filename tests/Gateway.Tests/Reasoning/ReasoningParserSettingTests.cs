using static InferMesh.Gateway.Tests.Reasoning.ReasoningClient;

namespace InferMesh.Gateway.Tests.Reasoning;

/// <summary><c>InferMesh:Gateway:ReasoningParser</c> overrides what the template points to, as ToolCallParser does for calls.</summary>
public sealed class ReasoningParserSettingTests
{
    private static async Task<System.Text.Json.JsonElement> AskAsync(string setting, string template, string reply)
    {
        var engine = new ReplyScriptEngine("reasoner", "", RealTemplates.Text(template)) { Reply = reply };
        await using var host = await GatewayHost.StartAsync(engine, new Dictionary<string, string?> { [$"{GatewayOptions.Section}:ReasoningParser"] = setting });
        return await MessageAsync(host, Body("reasoner", User("What is 2+2?")));
    }

    [Fact]
    public async Task None_keeps_a_reasoning_models_reply_whole_as_content()
    {
        var message = await AskAsync("none", RealTemplates.Qwen3, "<think>\nTwo and two.\n</think>\n\n4");

        Assert.False(message.TryGetProperty("reasoning_content", out _));
        Assert.Equal("<think>\nTwo and two.\n</think>\n\n4", StringOrNull(message, "content"));
    }

    [Fact]
    public async Task Deepseek_r1_reads_a_reply_that_left_out_the_opening_tag_as_reasoning_until_the_closing_one()
    {
        var message = await AskAsync("deepseek_r1", RealTemplates.DeepSeekR1, "Two and two.\n</think>\n\n4");

        Assert.Equal("Two and two.", StringOrNull(message, "reasoning_content"));
        Assert.Equal("4", StringOrNull(message, "content"));
    }
}
