using InferMesh.Contracts;
using InferMesh.Contracts.ToolCalls;
using InferMesh.Gateway.Responses;
using InferMesh.Gateway.Tools;

namespace InferMesh.Gateway.Tests.Tools;

public sealed class ToolCallStreamTests
{
    private const string Reply = "Let me check.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {\"x\": 1}}\n</tool_call>\n<tool_call>\n{\"name\": \"b\", \"arguments\": {}}\n</tool_call>";

    private static ToolCallStream Hermes(bool parallel = true) => new(new HermesToolCallParser(), new ToolCalling("auto", parallel));

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(1000)]
    public void Streamed_pieces_give_the_same_calls_as_parsing_the_whole_reply(int pieceLength)
    {
        var whole = new HermesToolCallParser().Parse(Reply);

        var streamed = StreamedToolReply.Of("hermes", Reply, pieceLength);

        Assert.Equal(whole.Calls.Select(c => (c.Name, c.Arguments)), streamed.Calls);
        Assert.Equal(whole.Content, streamed.Content.Trim());
    }

    [Fact]
    public void Content_before_the_call_is_released_before_the_reply_ends()
    {
        var stream = Hermes();

        var first = stream.Add("Let me check. <tool", null);

        Assert.Equal("Let me check. ", first.Content);
        Assert.Empty(stream.Add("_call>{\"name\": ", null).Pieces);
    }

    [Fact]
    public void The_header_goes_out_once_the_name_is_complete_and_the_arguments_begin()
    {
        var stream = Hermes();
        stream.Add("<tool_call>{\"name\": \"a", null);

        Assert.Empty(stream.Add("\", \"arguments\": ", null).Pieces);
        var header = Assert.Single(stream.Add("{", null).Pieces, p => p.Kind == ToolCallPieceKind.Header);

        Assert.Equal(("a", 0), (header.Text, header.CallIndex));
        Assert.StartsWith("call_", header.Id);
    }

    [Fact]
    public void Arguments_go_out_as_the_model_writes_them()
    {
        var stream = Hermes();
        stream.Add("<tool_call>{\"name\": \"a\", \"arguments\": {", null);

        var more = stream.Add("\"x\": 1", null);

        Assert.Equal(new ToolCallPiece(ToolCallPieceKind.Arguments, 0, "\"x\": 1"), Assert.Single(more.Pieces));
    }

    [Fact]
    public void A_call_to_a_function_not_offered_is_never_announced_and_its_text_is_content()
    {
        const string reply = "<tool_call>{\"name\": \"rm\", \"arguments\": {}}</tool_call>";

        var streamed = StreamedToolReply.Of("hermes", reply, 1, new ToolCalling("auto", true, ["a"]));

        Assert.DoesNotContain(streamed.Pieces, p => p.Kind != ToolCallPieceKind.Content);
        Assert.Equal(reply, streamed.Content);
    }

    [Fact]
    public void Text_held_back_that_is_not_a_call_is_released_as_content()
    {
        var streamed = StreamedToolReply.Of("hermes", "a <tool_call> is how I would call, but not now", 3);

        Assert.Empty(streamed.Calls);
        Assert.Equal("a <tool_call> is how I would call, but not now", streamed.Content);
    }

    [Fact]
    public void Without_parallel_tool_calls_only_the_first_call_goes_out()
    {
        var streamed = StreamedToolReply.Of("hermes", Reply, 5, new ToolCalling("auto", false));

        Assert.Equal("a", Assert.Single(streamed.Calls).Name);
    }

    [Fact]
    public void Logprobs_of_content_go_with_it_and_those_of_call_text_are_dropped()
    {
        var stream = Hermes();

        var content = stream.Add("Hi ", Logprob("Hi "));
        var call = stream.Add("<tool_call>{\"name\": \"a\", \"arguments\": {}}", Logprob("call"));
        var end = stream.Finish();

        Assert.Equal(["Hi "], content.Logprobs.Select(l => l.Token));
        Assert.Empty(call.Logprobs);
        Assert.Empty(end.Logprobs);
        Assert.Equal("tool_calls", stream.FinishReason("stop"));
    }

    private static TokenLogprobInfo Logprob(string token) => new(token, -0.5f, System.Text.Encoding.UTF8.GetBytes(token), []);
}
