using System.Text;
using InferMesh.Contracts.ToolCalls;
using InferMesh.Gateway.Responses;
using InferMesh.Gateway.Tools;

namespace InferMesh.Gateway.Tests.Tools;

public sealed class ToolCallStreamTests
{
    private const string Reply = "Let me check.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {\"x\": 1}}\n</tool_call>\n<tool_call>\n{\"name\": \"b\", \"arguments\": {}}\n</tool_call>";

    private static (string Content, IReadOnlyList<ParsedToolCall> Calls) Stream(string reply, int pieceLength, bool parallel = true)
    {
        var stream = new ToolCallStream(new HermesToolCallParser(), new ToolCalling("auto", parallel));
        var content = new StringBuilder();
        for (var i = 0; i < reply.Length; i += pieceLength)
        {
            content.Append(stream.Add(reply.Substring(i, Math.Min(pieceLength, reply.Length - i)), null).Text);
        }

        var end = stream.Finish();
        return (content.Append(end.Text).ToString(), end.Calls);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(1000)]
    public void Streamed_pieces_give_the_same_calls_as_parsing_the_whole_reply(int pieceLength)
    {
        var whole = new HermesToolCallParser().Parse(Reply);

        var (content, calls) = Stream(Reply, pieceLength);

        Assert.Equal(whole.Calls.Select(c => (c.Name, c.Arguments)), calls.Select(c => (c.Name, c.Arguments)));
        Assert.Equal(whole.Content, content.Trim());
    }

    [Fact]
    public void Content_before_the_call_is_released_before_the_reply_ends()
    {
        var stream = new ToolCallStream(new HermesToolCallParser(), new ToolCalling("auto", true));

        var first = stream.Add("Let me check. <tool", null);

        Assert.Equal("Let me check. ", first.Text);
        Assert.Equal("", stream.Add("_call>{\"name\": ", null).Text);
    }

    [Fact]
    public void Text_held_back_that_is_not_a_call_is_released_as_content_at_the_end()
    {
        var (content, calls) = Stream("a <tool_call> is how I would call, but not now", 3);

        Assert.Empty(calls);
        Assert.Equal("a <tool_call> is how I would call, but not now", content);
    }

    [Fact]
    public void Without_parallel_tool_calls_only_the_first_call_is_returned()
    {
        Assert.Equal("a", Assert.Single(Stream(Reply, 5, parallel: false).Calls).Name);
    }
}
