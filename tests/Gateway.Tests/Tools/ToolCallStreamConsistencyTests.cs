using System.Text;
using InferMesh.Contracts.ToolCalls;
using InferMesh.Gateway.Responses;
using InferMesh.Gateway.Tools;

namespace InferMesh.Gateway.Tests.Tools;

/// <summary>
/// A reply streamed in pieces of any size reads as the same calls, content (white space aside) and kind of finish as
/// the same reply parsed whole, in every format.
/// </summary>
public sealed class ToolCallStreamConsistencyTests
{
    public static TheoryData<string, string> Replies() => new()
    {
        { "hermes", "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1}}\n</tool_call>" },
        { "hermes", "Sure. <tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call> Done." },
        { "hermes", "a <tool_call> is how I would call" },
        { "hermes", "<tool_call>{\"name\": \"f\"}</tool_call><tool_call>{bad}</tool_call>" },
        { "hermes", "plain text ending in <tool_" },
        { "hermes", "  " },
        { "llama3_json", "{\"name\": \"f\", \"parameters\": {\"a\": 1}}" },
        { "llama3_json", "  <|python_tag|>{\"name\": \"f\", \"parameters\": {}}; {\"name\": \"g\", \"arguments\": {}}" },
        { "llama3_json", "{\"name\": \"f\", \"parameters\": {}} and then text" },
        { "llama3_json", "Here: {\"name\": \"f\", \"parameters\": {}}" },
        { "llama3_json", "<|python" },
        { "llama3_json", "<|pythonic|> no" },
        { "mistral", "[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {\"a\": 1}}]" },
        { "mistral", "Checking.[TOOL_CALLS][{\"name\": \"f\", \"arguments\": {}}]" },
        { "mistral", " [{\"name\": \"f\", \"arguments\": {}}]" },
        { "mistral", "{\"name\": \"f\", \"arguments\": {\"a\": 1}}" },
        { "mistral", "[1, 2, 3]" },
        { "mistral", "[1, 2] then [TOOL_CALLS][{\"name\": \"f\", \"arguments\": {}}]" },
        { "mistral", "{\"answer\": 42}" },
        { "mistral", "Sure. [TOOL_" },
    };

    [Theory]
    [MemberData(nameof(Replies))]
    public void Streamed_and_whole_replies_read_the_same(string format, string reply)
    {
        var whole = ToolCallParser.For(format)!.Parse(reply);

        foreach (var pieceLength in new[] { 1, 2, 3, 7, reply.Length })
        {
            var stream = new ToolCallStream(ToolCallParser.For(format), new ToolCalling("auto", true));
            var content = new StringBuilder();
            for (var i = 0; i < reply.Length; i += pieceLength)
            {
                content.Append(stream.Add(reply.Substring(i, Math.Min(pieceLength, reply.Length - i)), null).Text);
            }

            var end = stream.Finish();
            content.Append(end.Text);

            Assert.Equal(whole.Calls.Select(c => (c.Name, c.Arguments)), end.Calls.Select(c => (c.Name, c.Arguments)));
            Assert.Equal(NoSpace(whole.Content ?? ""), NoSpace(content.ToString()));
        }
    }

    private static string NoSpace(string s) => string.Concat(s.Where(c => !char.IsWhiteSpace(c)));
}
