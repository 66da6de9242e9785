using InferMesh.Contracts;
using InferMesh.Contracts.ToolCalls;
using InferMesh.Grains.Sessions;

namespace InferMesh.Grains.Tests;

/// <summary>
/// A reply decoded under a forced tool_choice is stored as the JSON it was constrained to (the arguments of the named
/// function, or a [{"name", "parameters"}] list), in no model's tool-call format: resent as tool_calls, it must still
/// count as the stored message.
/// </summary>
public sealed class ResentForcedToolCallTurnTests
{
    private static readonly ChatMessage User = new("user", "Weather in Paris?");
    private static readonly ChatMessage Result = new("tool", "{\"temp\": 21}") { ToolCallId = "call_0" };

    private static ChatMessage Resent(string content, params (string Name, string Arguments)[] calls) =>
        new("assistant", content) { ToolCalls = [.. calls.Select((c, i) => new ToolCallInfo($"call_{i}", c.Name, c.Arguments))] };

    [Theory]
    [InlineData(ToolCallFormats.Hermes)]
    [InlineData(ToolCallFormats.None)]
    public void A_named_function_reply_names_no_function_so_a_resent_call_is_not_matched_to_it(string format)
    {
        // The stored arguments object would equal a call to any function with these arguments (delete_account too),
        // so the resent turn is a divergence, never silently taken as the stored one.
        var stored = new ChatMessage("assistant", "{\"city\": \"Paris\",\n \"days\": 2}");
        var resent = Resent("", ("delete_account", "{\"days\":2,\"city\":\"Paris\"}"));

        var added = TurnPrompt.NewMessages([User, stored], [User, resent, Result], ToolCallParser.For(format));

        Assert.Equal([User, resent, Result], added);
    }

    [Fact]
    public void A_stored_reply_with_a_lone_surrogate_escape_is_no_match_and_no_error()
    {
        var stored = new ChatMessage("assistant", "[{\"name\": \"get_weather\", \"parameters\": {\"city\": \"\\ud800\"}}]");
        var resent = Resent("", ("get_weather", "{\"city\":\"x\"}"));

        var added = TurnPrompt.NewMessages([User, stored], [User, resent, Result], ToolCallParser.For(ToolCallFormats.Hermes));

        Assert.Equal([User, resent, Result], added);
    }

    [Fact]
    public void A_required_reply_matches_its_calls_resent_in_order()
    {
        var stored = new ChatMessage("assistant", "[{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}, {\"name\": \"get_time\", \"parameters\": {}}]");
        var resent = Resent("", ("get_weather", "{\"city\":\"Paris\"}"), ("get_time", "{}"));

        var added = TurnPrompt.NewMessages([User, stored], [User, resent, Result], ToolCallParser.For(ToolCallFormats.Hermes));

        Assert.Equal([Result], added);
    }

    [Theory]
    [InlineData("{\"city\": \"Rome\"}", "get_weather", "{\"city\":\"Paris\"}")]
    [InlineData("[{\"name\": \"get_time\", \"parameters\": {}}]", "get_weather", "{}")]
    [InlineData("[{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Rome\"}}]", "get_weather", "{\"city\":\"Paris\"}")]
    public void A_forced_reply_whose_calls_differ_is_a_divergence(string reply, string name, string arguments)
    {
        var stored = new ChatMessage("assistant", reply);

        var added = TurnPrompt.NewMessages([User, stored], [User, Resent("", (name, arguments)), Result], ToolCallParser.For(ToolCallFormats.Hermes));

        Assert.Equal(3, added.Count);
    }

    [Fact]
    public void A_forced_reply_resent_with_content_is_a_divergence()
    {
        var stored = new ChatMessage("assistant", "{\"city\": \"Paris\"}");

        var added = TurnPrompt.NewMessages([User, stored], [User, Resent("Checking.", ("get_weather", "{\"city\":\"Paris\"}")), Result], ToolCallParser.For(ToolCallFormats.Hermes));

        Assert.Equal(3, added.Count);
    }
}
