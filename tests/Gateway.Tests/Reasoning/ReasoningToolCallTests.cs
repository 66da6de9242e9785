using System.Text.Json;
using static InferMesh.Gateway.Tests.Reasoning.ReasoningClient;

namespace InferMesh.Gateway.Tests.Reasoning;

/// <summary>Tool calls are read in the content after the reasoning, never in the reasoning itself.</summary>
public sealed class ReasoningToolCallTests(ReasoningGateway gateway) : IClassFixture<ReasoningGateway>
{
    private const string WeatherTool = """{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}""";
    private const string Call = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";

    private static string Body(string extra = "") => ReasoningClient.Body(ReasoningGateway.Qwen3, User("Weather in Paris?"), $"\"tools\":[{WeatherTool}]" + extra);

    [Fact]
    public async Task A_call_after_the_reasoning_comes_back_as_tool_calls_with_the_reasoning()
    {
        gateway.Engine(ReasoningGateway.Qwen3).Reply = $"<think>\nNeed the weather.\n</think>\n\n{Call}";

        var choice = (await PostAsync(gateway.Host, Body())).GetProperty("choices")[0];

        var message = choice.GetProperty("message");
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        Assert.Equal("Need the weather.", StringOrNull(message, "reasoning_content"));
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        Assert.Equal("get_weather", Assert.Single(message.GetProperty("tool_calls").EnumerateArray()).GetProperty("function").GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_call_written_inside_the_reasoning_is_not_a_call()
    {
        gateway.Engine(ReasoningGateway.Qwen3).Reply = $"<think>\nMaybe {Call}? No.\n</think>\n\nIt is sunny.";

        var choice = (await PostAsync(gateway.Host, Body())).GetProperty("choices")[0];

        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.False(choice.GetProperty("message").TryGetProperty("tool_calls", out _));
        Assert.Equal("It is sunny.", StringOrNull(choice.GetProperty("message"), "content"));
        Assert.Equal($"Maybe {Call}? No.", StringOrNull(choice.GetProperty("message"), "reasoning_content"));
    }

    [Fact]
    public async Task Streamed_reasoning_comes_before_the_streamed_calls()
    {
        gateway.Engine(ReasoningGateway.Qwen3).Reply = $"<think>\nNeed the weather.\n</think>\n\n{Call}";

        var deltas = await DeltasAsync(gateway.Host, Body(",\"stream\":true"));

        Assert.Equal("Need the weather.", Joined(deltas, "reasoning_content"));
        Assert.Equal("", Joined(deltas, "content"));
        var call = deltas.FindIndex(d => d.TryGetProperty("tool_calls", out _));
        Assert.True(call > deltas.FindLastIndex(d => d.TryGetProperty("reasoning_content", out _)));
    }

    [Fact]
    public async Task A_forced_call_after_the_reasoning_of_a_prompt_that_opened_it_is_read_from_the_content()
    {
        var engine = gateway.Engine(ReasoningGateway.QwQ);
        engine.Reply = "Need the weather.\n</think>\n\n{\"city\": \"Paris\"}";
        var body = ReasoningClient.Body(ReasoningGateway.QwQ, User("Weather in Paris?"), $"\"tools\":[{WeatherTool}],\"tool_choice\":{{\"type\":\"function\",\"function\":{{\"name\":\"get_weather\"}}}}");

        var message = await MessageAsync(gateway.Host, body);

        Assert.Equal("</think>", engine.LastRequest!.OutputConstraintAfter);
        Assert.Equal("Need the weather.", StringOrNull(message, "reasoning_content"));
        var call = Assert.Single(message.GetProperty("tool_calls").EnumerateArray());
        Assert.Equal("{\"city\": \"Paris\"}", call.GetProperty("function").GetProperty("arguments").GetString());
    }
}
