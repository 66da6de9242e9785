using InferMesh.Contracts;
using InferMesh.Contracts.ToolCalls;
using InferMesh.Grains.Sessions;

namespace InferMesh.Grains.Tests;

/// <summary>
/// A client resending the whole history sends the assistant's tool-call turn as OpenAI's <c>tool_calls</c>, while the
/// session stored the model's raw reply text: the two must count as the same message.
/// </summary>
public sealed class ResentToolCallTurnTests
{
    private const string Tools = """[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]""";

    private static readonly ChatMessage User = new("user", "Weather in Paris?");
    private static readonly ChatMessage Result = new("tool", "{\"temp\": 21}") { ToolCallId = "abcDEF123" };

    /// <summary>Each format's raw reply calling get_weather(city: Paris, days: 2), as the model writes it.</summary>
    public static TheoryData<string, string> RawReplies => new()
    {
        { ToolCallFormats.Hermes, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2}}\n</tool_call>" },
        { ToolCallFormats.Llama3Json, "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\", \"days\": 2}}" },
        { ToolCallFormats.Mistral, "[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2}}]" },
    };

    private static ChatMessage Resent(string content, params (string Name, string Arguments)[] calls) =>
        new("assistant", content) { ToolCalls = [.. calls.Select((c, i) => new ToolCallInfo($"call_{i}", c.Name, c.Arguments))] };

    [Theory]
    [MemberData(nameof(RawReplies))]
    public void A_resent_tool_call_turn_matches_the_stored_raw_reply(string format, string rawReply)
    {
        var stored = new ChatMessage("assistant", rawReply);
        var resent = Resent("", ("get_weather", "{\"days\":2,\"city\":\"Paris\"}"));

        var added = TurnPrompt.NewMessages([User, stored], [User, resent, Result], ToolCallParser.For(format));

        Assert.Equal([Result], added);
    }

    [Theory]
    [MemberData(nameof(RawReplies))]
    public void Arguments_that_differ_in_value_are_a_divergence(string format, string rawReply)
    {
        var stored = new ChatMessage("assistant", rawReply);
        var resent = Resent("", ("get_weather", "{\"city\": \"Paris\", \"days\": 3}"));

        var added = TurnPrompt.NewMessages([User, stored], [User, resent, Result], ToolCallParser.For(format));

        Assert.Equal(3, added.Count);
    }

    [Fact]
    public void A_reply_mixing_a_requested_and_an_unrequested_call_matches_its_resent_turn()
    {
        // The gateway returned get_weather as a call and the get_time block (not a requested tool) as content.
        const string raw = "<tool_call>{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}</tool_call><tool_call>{\"name\":\"get_time\",\"arguments\":{}}</tool_call>";
        var parser = new HermesToolCallParser();
        var returned = parser.Parse(raw, ["get_weather"]);
        var stored = new ChatMessage("assistant", raw);
        var resent = Resent(returned.Content ?? "", ("get_weather", "{\"city\":\"Paris\"}"));

        var added = TurnPrompt.NewMessages([User, stored], [User, resent, Result], parser);

        Assert.Equal([Result], added);
    }

    [Fact]
    public void A_different_function_name_is_a_divergence()
    {
        var stored = new ChatMessage("assistant", "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n</tool_call>");
        var resent = Resent("", ("get_time", "{}"));

        var added = TurnPrompt.NewMessages([User, stored], [User, resent, Result], new HermesToolCallParser());

        Assert.Equal(3, added.Count);
    }

    [Fact]
    public void Calls_resent_in_another_order_are_a_divergence()
    {
        var stored = new ChatMessage("assistant", "<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call>\n<tool_call>\n{\"name\": \"b\", \"arguments\": {}}\n</tool_call>");
        var resent = Resent("", ("b", "{}"), ("a", "{}"));

        var added = TurnPrompt.NewMessages([User, stored], [User, resent, Result], new HermesToolCallParser());

        Assert.Equal(3, added.Count);
    }

    [Theory]
    [InlineData("I'll check.", true)]
    [InlineData("I'll check.\n\n", true)]
    [InlineData("Something else.", false)]
    public void Resent_content_must_be_empty_or_the_text_outside_the_calls(string content, bool matches)
    {
        var stored = new ChatMessage("assistant", "I'll check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>");
        var resent = Resent(content, ("get_weather", "{\"city\": \"Paris\"}"));

        var added = TurnPrompt.NewMessages([User, stored], [User, resent, Result], new HermesToolCallParser());

        Assert.Equal(matches ? 1 : 3, added.Count);
    }

    [Fact]
    public void Without_a_tool_call_format_a_resent_tool_call_turn_is_a_divergence()
    {
        var stored = new ChatMessage("assistant", "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n</tool_call>");
        var resent = Resent("", ("get_weather", "{}"));

        var added = TurnPrompt.NewMessages([User, stored], [User, resent, Result], ToolCallParser.For(ToolCallFormats.None));

        Assert.Equal(3, added.Count);
    }

    [Fact]
    public void A_matched_turn_keeps_the_stored_reply_and_reuses_every_stored_token()
    {
        var engine = new TemplateOnlyEngine("qwen2.5-instruct.jinja");
        const string reply = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
        var first = TurnPrompt.ForChat(engine, new SessionState(), [User], Tools);
        var state = new SessionState
        {
            Messages = [.. first.Conversation, new ChatMessage("assistant", reply)],
            TokenIds = [.. first.TokenIds, .. engine.Tokenizer.Encode(reply, addSpecialTokens: false, continuation: true)],
            RenderedText = first.Text + reply,
        };

        var second = TurnPrompt.ForChat(engine, state, [User, Resent("", ("get_weather", "{\"city\":\"Paris\"}")), Result with { ToolCallId = "call_0" }], Tools);

        Assert.Equal(state.TokenIds.Count, second.ReusedTokens);
        Assert.Equal([User, state.Messages[1], Result with { ToolCallId = "call_0" }], second.Conversation);
        Assert.Equal(state.RenderedText + "<|im_end|>\n<|im_start|>user\n<tool_response>\n{\"temp\": 21}\n</tool_response><|im_end|>\n<|im_start|>assistant\n", second.Text);
    }
}
