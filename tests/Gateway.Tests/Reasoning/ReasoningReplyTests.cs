using System.Text.Json;
using static InferMesh.Gateway.Tests.Reasoning.ReasoningClient;

namespace InferMesh.Gateway.Tests.Reasoning;

/// <summary>
/// Replies of reasoning models come back split: the think block as <c>message.reasoning_content</c> (streamed as
/// <c>delta.reasoning_content</c>, before any content), the answer as content — per template family, as each one's
/// prompt leaves the reply to begin.
/// </summary>
public sealed class ReasoningReplyTests(ReasoningGateway gateway) : IClassFixture<ReasoningGateway>
{
    private const string Question = "What is 2+2?";

    private async Task<JsonElement> AskAsync(string model, string reply, string extra = "")
    {
        gateway.Engine(model).Reply = reply;
        return await MessageAsync(gateway.Host, Body(model, User(Question), extra));
    }

    [Fact]
    public async Task A_qwen3_reply_that_opens_a_think_block_is_split_into_reasoning_and_content()
    {
        var message = await AskAsync(ReasoningGateway.Qwen3, "<think>\nTwo and two.\n</think>\n\n4");

        Assert.Equal("Two and two.", StringOrNull(message, "reasoning_content"));
        Assert.Equal("4", StringOrNull(message, "content"));
    }

    [Fact]
    public async Task A_qwen3_reply_without_a_think_block_is_all_content()
    {
        var message = await AskAsync(ReasoningGateway.Qwen3, "  4, since <think> is not at the start.");

        Assert.Null(StringOrNull(message, "reasoning_content"));
        Assert.Equal("  4, since <think> is not at the start.", StringOrNull(message, "content"));
    }

    [Fact]
    public async Task A_deepseek_r1_distill_reply_starts_inside_the_think_block_its_prompt_opened()
    {
        var message = await AskAsync(ReasoningGateway.R1Distill, "Two and two.\n</think>\n\n4");

        Assert.EndsWith("<｜Assistant｜><think>\n", gateway.Engine(ReasoningGateway.R1Distill).LastPrompt);
        Assert.Equal("Two and two.", StringOrNull(message, "reasoning_content"));
        Assert.Equal("4", StringOrNull(message, "content"));
    }

    [Fact]
    public async Task A_reply_cut_off_while_reasoning_is_all_reasoning_with_null_content()
    {
        var message = await AskAsync(ReasoningGateway.R1Distill, "Two and two make");

        Assert.Equal("Two and two make", StringOrNull(message, "reasoning_content"));
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
    }

    [Fact]
    public async Task A_qwq_reply_starts_inside_the_think_block_its_prompt_opened()
    {
        var message = await AskAsync(ReasoningGateway.QwQ, "Two and two.\n</think>\n\n4");

        Assert.Equal("Two and two.", StringOrNull(message, "reasoning_content"));
        Assert.Equal("4", StringOrNull(message, "content"));
    }

    [Fact]
    public async Task A_deepseek_r1_reply_that_opens_its_own_think_block_is_split()
    {
        var message = await AskAsync(ReasoningGateway.DeepSeekR1, "<think>\nTwo and two.\n</think>\n\n4");

        Assert.Equal("Two and two.", StringOrNull(message, "reasoning_content"));
        Assert.Equal("4", StringOrNull(message, "content"));
    }

    [Fact]
    public async Task A_smollm3_reply_in_think_mode_is_split()
    {
        var message = await AskAsync(ReasoningGateway.SmolLM3, "<think>\nTwo and two.\n</think>\n4");

        Assert.Equal("Two and two.", StringOrNull(message, "reasoning_content"));
        Assert.Equal("4", StringOrNull(message, "content"));
    }

    [Fact]
    public async Task A_model_whose_template_has_no_think_block_keeps_think_tags_as_content_and_has_no_reasoning_field()
    {
        var message = await AskAsync(ReasoningGateway.Qwen25, "<think>\nhm\n</think>\n\n4");

        Assert.False(message.TryGetProperty("reasoning_content", out _));
        Assert.Equal("<think>\nhm\n</think>\n\n4", StringOrNull(message, "content"));
    }

    [Fact]
    public async Task A_json_response_format_is_enforced_after_the_reasoning_where_the_prompt_opened_a_think_block()
    {
        var message = await AskAsync(ReasoningGateway.R1Distill, "Two and two.\n</think>\n\n{\"answer\": 4}", "\"response_format\":{\"type\":\"json_object\"}");

        Assert.Equal("</think>", gateway.Engine(ReasoningGateway.R1Distill).LastRequest!.OutputConstraintAfter);
        Assert.Equal("Two and two.", StringOrNull(message, "reasoning_content"));
        Assert.Equal("{\"answer\": 4}", StringOrNull(message, "content"));
    }

    [Fact]
    public async Task A_json_response_format_lets_a_reply_open_its_own_think_block_before_the_constrained_answer()
    {
        var message = await AskAsync(ReasoningGateway.Qwen3, "<think>\nTwo and two.\n</think>\n\n{\"answer\": 4}", "\"response_format\":{\"type\":\"json_object\"}");

        var request = gateway.Engine(ReasoningGateway.Qwen3).LastRequest!;
        Assert.Equal(("</think>", "<think>"), (request.OutputConstraintAfter, request.OutputConstraintOpening));
        Assert.Equal("Two and two.", StringOrNull(message, "reasoning_content"));
        Assert.Equal("{\"answer\": 4}", StringOrNull(message, "content"));
    }

    [Fact]
    public async Task A_json_response_format_with_thinking_disabled_is_constrained_from_the_first_token()
    {
        var message = await AskAsync(ReasoningGateway.Qwen3, "{\"answer\": 4}", "\"response_format\":{\"type\":\"json_object\"},\"chat_template_kwargs\":{\"enable_thinking\":false}");

        Assert.Null(gateway.Engine(ReasoningGateway.Qwen3).LastRequest!.OutputConstraintAfter);
        Assert.False(message.TryGetProperty("reasoning_content", out _));
        Assert.Equal("{\"answer\": 4}", StringOrNull(message, "content"));
    }

    [Fact]
    public async Task Every_choice_of_n_is_split_on_its_own()
    {
        gateway.Engine(ReasoningGateway.Qwen3).Reply = "<think>\nTwo and two.\n</think>\n\n4";

        var choices = (await PostAsync(gateway.Host, Body(ReasoningGateway.Qwen3, User(Question), "\"n\":2"))).GetProperty("choices").EnumerateArray().ToList();

        Assert.Equal(2, choices.Count);
        Assert.All(choices, c => Assert.Equal("Two and two.", StringOrNull(c.GetProperty("message"), "reasoning_content")));
        Assert.All(choices, c => Assert.Equal("4", StringOrNull(c.GetProperty("message"), "content")));
    }

    [Fact]
    public async Task Usage_counts_every_completion_token_reasoning_included()
    {
        const string reply = "<think>\nTwo and two.\n</think>\n\n4";
        gateway.Engine(ReasoningGateway.Qwen3).Reply = reply;

        var json = await PostAsync(gateway.Host, Body(ReasoningGateway.Qwen3, User(Question)));

        // The script engine sends the reply in pieces of PieceLength characters, one token each.
        var pieces = (reply.Length + gateway.Engine(ReasoningGateway.Qwen3).PieceLength - 1) / gateway.Engine(ReasoningGateway.Qwen3).PieceLength;
        Assert.Equal(pieces, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public async Task Streamed_reasoning_arrives_before_content_and_reads_like_the_whole_reply(int pieceLength)
    {
        var engine = gateway.Engine(ReasoningGateway.Qwen3);
        engine.Reply = "<think>\nIs 2 < 3? Yes. </thin is not a tag.\n\n</think>\n\n4 <think>";
        engine.PieceLength = pieceLength;
        try
        {
            var deltas = await DeltasAsync(gateway.Host, Body(ReasoningGateway.Qwen3, User(Question), "\"stream\":true"));

            Assert.Equal("Is 2 < 3? Yes. </thin is not a tag.", Joined(deltas, "reasoning_content"));
            Assert.Equal("4 <think>", Joined(deltas, "content"));
            var firstContent = deltas.FindIndex(d => d.TryGetProperty("content", out var c) && c.GetString() is { Length: > 0 });
            var lastReasoning = deltas.FindLastIndex(d => d.TryGetProperty("reasoning_content", out _));
            Assert.True(lastReasoning < firstContent, "reasoning after content");
        }
        finally
        {
            engine.PieceLength = 3;
        }
    }

    [Fact]
    public async Task A_streamed_reply_cut_off_while_reasoning_sends_no_content()
    {
        gateway.Engine(ReasoningGateway.R1Distill).Reply = "Two and two make </thi";

        var deltas = await DeltasAsync(gateway.Host, Body(ReasoningGateway.R1Distill, User(Question), "\"stream\":true"));

        Assert.Equal("Two and two make </thi", Joined(deltas, "reasoning_content"));
        Assert.Equal("", Joined(deltas, "content"));
    }
}
