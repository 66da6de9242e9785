using InferMesh.Contracts;
using InferMesh.Contracts.ToolCalls;
using InferMesh.Grains.Sessions;

namespace InferMesh.Grains.Tests;

/// <summary>
/// A reasoning model's reply is stored as content plus reasoning_content; a client resending it with the content only,
/// or with its reasoning, is resending the stored turn, and the prompt renders what the client sent.
/// </summary>
public sealed class ResentReasoningTurnTests
{
    private static readonly ChatMessage User = new("user", "What is 2+2?");
    private static readonly ChatMessage Next = new("user", "And 3+3?");
    private static readonly ChatMessage Stored = new("assistant", "4") { ReasoningContent = "Two and two." };

    [Fact]
    public void A_reply_resent_with_its_content_only_is_the_stored_turn_rendered_without_reasoning()
    {
        var (history, added) = TurnPrompt.Resent([User, Stored], [User, new ChatMessage("assistant", "4"), Next]);

        Assert.Equal([Next], added);
        Assert.Null(history[1].ReasoningContent);
    }

    [Fact]
    public void A_reply_resent_with_its_reasoning_is_the_stored_turn_rendered_with_the_reasoning_as_the_client_sent_it()
    {
        // Templates that do not strip newlines (Kimi-K2-Thinking writes <think>{{ reasoning }}</think>) render these bytes.
        var (history, added) = TurnPrompt.Resent([User, Stored], [User, Stored with { ReasoningContent = "\nTwo and two.\n" }, Next]);

        Assert.Equal([Next], added);
        Assert.Equal("\nTwo and two.\n", history[1].ReasoningContent);
    }

    [Fact]
    public void A_reply_resent_with_reasoning_after_an_earlier_content_only_resend_is_still_the_stored_turn()
    {
        // The content-only resend left the stored turn without its reasoning; the client now sends it back whole.
        var (afterContentOnly, _) = TurnPrompt.Resent([User, Stored], [User, new ChatMessage("assistant", "4"), Next]);
        var stored = afterContentOnly.Concat([Next, new ChatMessage("assistant", "6")]).ToArray();

        var (history, added) = TurnPrompt.Resent(stored, [User, Stored, Next, new ChatMessage("assistant", "6"), new ChatMessage("user", "Thanks.")]);

        Assert.Equal([new ChatMessage("user", "Thanks.")], added);
        Assert.Equal("Two and two.", history[1].ReasoningContent);
    }

    [Fact]
    public void An_empty_reasoning_content_is_resent_as_none()
    {
        var (history, added) = TurnPrompt.Resent([User, Stored], [User, Stored with { ReasoningContent = "" }, Next]);

        Assert.Equal([Next], added);
        Assert.Null(history[1].ReasoningContent);
    }

    [Fact]
    public void A_reply_resent_with_other_reasoning_diverges_from_the_history()
    {
        var added = TurnPrompt.NewMessages([User, Stored], [User, Stored with { ReasoningContent = "Guessing." }, Next]);

        Assert.Equal(3, added.Count);
    }

    [Fact]
    public void A_reply_resent_with_other_content_diverges_from_the_history()
    {
        var added = TurnPrompt.NewMessages([User, Stored], [User, new ChatMessage("assistant", "5"), Next]);

        Assert.Equal(3, added.Count);
    }

    [Fact]
    public void A_call_resent_without_its_reasoning_is_the_stored_call()
    {
        var stored = new ChatMessage("assistant", "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>") { ReasoningContent = "Need the weather." };
        var resent = new ChatMessage("assistant", "") { ToolCalls = [new ToolCallInfo("call_1", "get_weather", "{\"city\":\"Paris\"}")] };
        var result = new ChatMessage("tool", "{\"temp\": 21}") { ToolCallId = "call_1" };

        var (history, added) = TurnPrompt.Resent([User, stored], [User, resent, result], new HermesToolCallParser());

        Assert.Equal([result], added);
        Assert.Equal(stored with { ReasoningContent = null }, history[1]);
    }

    [Fact]
    public void A_qwen3_tool_loop_resent_with_its_reasoning_extends_the_stored_tokens()
    {
        var engine = new TemplateOnlyEngine("", "Qwen/Qwen3-0.6B");
        const string raw = "<think>\nNeed the weather.\n</think>\n\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
        var first = TurnPrompt.ForChat(engine, new SessionState(), [User]);
        var stored = new ChatMessage("assistant", raw[(raw.IndexOf("<tool_call>", StringComparison.Ordinal))..]) { ReasoningContent = "Need the weather." };
        var state = new SessionState
        {
            Messages = [.. first.Conversation, stored],
            TokenIds = [.. first.TokenIds, .. engine.Tokenizer.Encode(raw, addSpecialTokens: false, continuation: true)],
            RenderedText = first.Text + raw,
        };
        var resent = new ChatMessage("assistant", "") { ToolCalls = [new ToolCallInfo("call_1", "get_weather", "{\"city\":\"Paris\"}")], ReasoningContent = "Need the weather." };

        var second = TurnPrompt.ForChat(engine, state, [User, resent, new ChatMessage("tool", "{\"temp\": 21}") { ToolCallId = "call_1" }], null, ToolCallFormats.Hermes);

        Assert.Equal(state.TokenIds.Count, second.ReusedTokens);
    }

    [Fact]
    public void A_later_qwen3_turn_drops_the_earlier_reasoning_so_it_renders_afresh()
    {
        var engine = new TemplateOnlyEngine("", "Qwen/Qwen3-0.6B");
        const string raw = "<think>\nTwo and two.\n</think>\n\n4";
        var first = TurnPrompt.ForChat(engine, new SessionState(), [User]);
        var state = new SessionState
        {
            Messages = [.. first.Conversation, Stored],
            TokenIds = [.. first.TokenIds, .. engine.Tokenizer.Encode(raw, addSpecialTokens: false, continuation: true)],
            RenderedText = first.Text + raw,
        };

        var second = TurnPrompt.ForChat(engine, state, [Next]);

        Assert.Equal(0, second.ReusedTokens);
        Assert.Contains("<|im_start|>assistant\n4<|im_end|>", second.Text);
    }

    [Theory]
    [InlineData("Qwen/Qwen3-0.6B", null, ReplyReasoning.MayOpenWithTag)]
    [InlineData("Qwen/Qwen3-0.6B", """{"enable_thinking": false}""", ReplyReasoning.None)]
    [InlineData("ollama/qwq:32b", null, ReplyReasoning.StartsInside)]
    [InlineData("ollama/deepcoder:14b", null, ReplyReasoning.StartsInside)]
    [InlineData("Qwen/Qwen2.5-7B-Instruct", null, ReplyReasoning.None)]
    public void A_turns_reply_begins_where_the_rendered_prompt_leaves_the_think_block(string template, string? kwargs, ReplyReasoning expected)
    {
        var prompt = TurnPrompt.ForChat(new TemplateOnlyEngine("", template), new SessionState(), [User], chatTemplateKwargs: kwargs);

        Assert.Equal(expected, prompt.Reasoning);
    }

    [Fact]
    public void A_kwarg_naming_a_variable_the_server_sets_is_an_invalid_request()
    {
        var error = Assert.Throws<InferenceException>(() =>
            TurnPrompt.ForChat(new TemplateOnlyEngine("", "Qwen/Qwen3-0.6B"), new SessionState(), [User], chatTemplateKwargs: """{"add_generation_prompt": false}"""));

        Assert.Equal(InferenceErrorKind.InvalidRequest, error.Kind);
        Assert.Equal("chat_template_kwargs", error.Param);
    }
}
