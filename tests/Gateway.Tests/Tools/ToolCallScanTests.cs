using System.Text;
using InferMesh.Contracts.ToolCalls;
using InferMesh.Gateway.Responses;
using InferMesh.Gateway.Tools;

namespace InferMesh.Gateway.Tests.Tools;

/// <summary>
/// Streaming a reply looks at each character a bounded number of times, whatever its shape: the work per delta does
/// not grow with the reply (it once did: every delta rebuilt and rescanned the whole text).
/// </summary>
public sealed class ToolCallScanTests
{
    private const int Deltas = 20_000;

    public static TheoryData<string, string> Shapes() => new()
    {
        { "hermes", "plain words, no call " },
        { "hermes", "<tool_call>{\"name\": \"f\", \"arguments\": {\"x\": \"" },
        { "hermes", "a <tool_ca" },
        { "hermes", "<tool_call>{\"name\": \"f\", \"arguments\": {\"x\": \"</tool_cal" },
        { "llama3_json", "{\"name\": \"f\", \"parameters\": {\"x\": \"" },
        { "llama3_json", "some prose " },
        { "llama3_json", "   \n" },
        { "mistral", "[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {\"x\": \"" },
        { "mistral", "Checking [TOOL" },
        { "mistral", "[[[[" },
        { "mistral", "\n\n\n" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Characters_read_grow_linearly_with_single_character_deltas(string format, string pattern)
    {
        var stream = new ToolCallStream(ToolCallParser.For(format), new ToolCalling("auto", true));
        var reply = new StringBuilder();
        while (reply.Length < Deltas)
        {
            reply.Append(pattern);
        }

        foreach (var c in reply.ToString(0, Deltas))
        {
            stream.Add(c.ToString(), null);
        }

        // Each character is looked at once, and once more when a marker it began fails.
        Assert.InRange(stream.CharactersRead, Deltas, 2L * Deltas);
    }
}
